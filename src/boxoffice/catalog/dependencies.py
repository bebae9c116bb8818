"""What the catalog routes need: the units of work, the clock, and this process's listings."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from boxoffice.catalog.domain import SeatStatus
from boxoffice.catalog.seat_map import SeatLayouts, SeatMap
from boxoffice.catalog.seat_news import SeatChange, SeatNews
from boxoffice.platform.cache import HotReadCache
from boxoffice.platform.clock import Clock
from boxoffice.platform.provided import provided

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory


DATES_KEPT = 100_000


@dataclass
class Listings:
    """This process's hot reads: seat maps and date lists, each read from the database at most
    once per time bucket of `hot_read_seconds` (platform/cache.py), and the seat layouts maps
    are drawn on. A seat map shows the writes made here at once (`seats_changed`), and, with
    `news`, those made by other processes when their news comes (`apply`: a tenth of a second
    or so); date lists show writes within `refresh_seconds`; any write shows within the bucket."""

    hot_read_seconds: float
    refresh_seconds: float
    kept_seats: int
    news: SeatNews | None = None  # to tell other processes what the writes here did
    seat_maps: HotReadCache[SeatMap] = field(init=False)
    schedule_lists: HotReadCache[bytes] = field(init=False)
    seat_layouts: SeatLayouts = field(init=False)
    date_concerts: dict[int, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.seat_layouts = SeatLayouts(self.kept_seats)
        self.seat_maps = HotReadCache(self.refresh_seconds)
        self.schedule_lists = HotReadCache(self.refresh_seconds)

    def bucket(self, now_ts: float) -> int:
        """The time bucket of the caches at `now_ts`."""
        return int(now_ts // self.hot_read_seconds)

    async def concert_of(self, schedule_id: int, unit_of_work: UnitOfWorkFactory) -> int | None:
        """The concert of a date (None: no such date), read once per date and kept (up to
        DATES_KEPT): a date never moves to another concert."""
        found = self.date_concerts.get(schedule_id)
        if found is None:
            async with unit_of_work(readonly=True) as uow:
                found = await uow.catalog.schedule_concert(schedule_id)
            if found is None:
                return None
            if len(self.date_concerts) >= DATES_KEPT:
                self.date_concerts.clear()
            self.date_concerts[schedule_id] = found
        return found

    def seats_changed(self, schedule_id: int, numbers: Collection[int], status: SeatStatus) -> None:
        """After a write here that left these seats of a date in `status` (committed)."""
        self._made(SeatChange(schedule_id, tuple(numbers), status))

    def seats_found_taken(self, schedule_id: int, numbers: Collection[int]) -> None:
        """A hold here was refused these seats: a map that shows them free shows them held."""
        if numbers:  # a best-seat refusal names none
            self._made(SeatChange(schedule_id, tuple(numbers)))

    def date_added(self) -> None:
        """After a date was added here: this process's date lists are read again by their next
        read (another process's within its time bucket, as any write made elsewhere)."""
        self.schedule_lists.clear()

    def seats_changed_somewhere(self) -> None:
        """After a write here whose seats are not known (holds expired): every map is read
        again by its next read, and date lists within `refresh_seconds`."""
        self._made(SeatChange(None))

    def apply(self, change: SeatChange, *, news: bool) -> None:
        """Show a change in this process's listings: news of one made elsewhere, or one made
        here (not `news`), which news never overrides (`SeatMap.change`)."""
        schedule_id, numbers, status = change.schedule_id, change.numbers, change.status
        if schedule_id is None:
            self.seat_maps.clear()
        elif status is None:
            self.seat_maps.amend(
                schedule_id, lambda seat_map: seat_map.mark_taken(numbers, news=news)
            )
            return  # found taken: nothing changed that a date list counts
        else:
            self.seat_maps.amend(
                schedule_id, lambda seat_map: seat_map.change(numbers, status, news=news)
            )
        self.schedule_lists.invalidate_all()

    def _made(self, change: SeatChange) -> None:
        self.apply(change, news=False)
        if self.news is not None:
            self.news.tell(change)


@dataclass(frozen=True)
class CatalogDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    listings: Listings


catalog_deps = provided(CatalogDeps)
Catalog = Annotated[CatalogDeps, Depends(catalog_deps)]
