"""What the catalog routes need: the units of work, the clock, and this process's listings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from boxoffice.catalog.seat_map import SeatLayouts
from boxoffice.platform.cache import HotReadCache
from boxoffice.platform.clock import Clock
from boxoffice.platform.http import TaggedBody
from boxoffice.platform.provided import provided

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory


@dataclass
class Listings:
    """This process's hot reads: seat maps and date lists, each rendered at most once per time
    bucket of `hot_read_seconds` (platform/cache.py), and the seat layouts maps are drawn on."""

    hot_read_seconds: float
    refresh_seconds: float
    kept_seats: int
    seat_maps: HotReadCache[TaggedBody] = field(init=False)
    schedule_lists: HotReadCache[bytes] = field(init=False)
    seat_layouts: SeatLayouts = field(init=False)

    def __post_init__(self) -> None:
        self.seat_layouts = SeatLayouts(self.kept_seats)
        self.seat_maps = HotReadCache(self.refresh_seconds)
        self.schedule_lists = HotReadCache(self.refresh_seconds)

    def bucket(self, now_ts: float) -> int:
        """The time bucket of the caches at `now_ts`."""
        return int(now_ts // self.hot_read_seconds)

    def seats_changed(self, schedule_id: int | None = None) -> None:
        """Make cached listings stale after a write here (`None`: every date may have changed)."""
        if schedule_id is None:
            self.seat_maps.invalidate_all()
        else:
            self.seat_maps.invalidate(schedule_id)
        self.schedule_lists.invalidate_all()


@dataclass(frozen=True)
class CatalogDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    listings: Listings


catalog_deps = provided(CatalogDeps)
Catalog = Annotated[CatalogDeps, Depends(catalog_deps)]
