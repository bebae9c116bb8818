"""What the reservation routes need."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from boxoffice.catalog.dependencies import Listings
from boxoffice.platform.clock import Clock
from boxoffice.platform.provided import provided
from boxoffice.reservations.service import HoldRules

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory


class PickTurns:
    """Best-seat holds of one date pick in turn in this process: each reads what is free and
    holds its pick before the next reads, so that holds arriving together here do not all pick
    the same seats and all but one pick again. (Holds on other processes still may: the hold
    itself decides, and the loser picks again.) Dates share a fixed set of turns."""

    def __init__(self, stripes: int = 64) -> None:
        self._locks = [asyncio.Lock() for _ in range(stripes)]

    def of(self, schedule_id: int) -> asyncio.Lock:
        return self._locks[schedule_id % len(self._locks)]


@dataclass(frozen=True)
class ReservationsDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    rules: HoldRules
    listings: Listings  # shows every hold and cancel here; its seat layouts serve best seats
    turns: PickTurns = field(default_factory=PickTurns)


reservations_deps = provided(ReservationsDeps)
Reservations = Annotated[ReservationsDeps, Depends(reservations_deps)]
