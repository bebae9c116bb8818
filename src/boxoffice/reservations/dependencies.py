"""What the reservation routes need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from boxoffice.catalog.dependencies import Listings
from boxoffice.platform.clock import Clock
from boxoffice.platform.provided import provided
from boxoffice.reservations.service import HoldRules

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class ReservationsDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    rules: HoldRules
    listings: Listings  # made stale by every hold and cancel here


reservations_deps = provided(ReservationsDeps)
Reservations = Annotated[ReservationsDeps, Depends(reservations_deps)]
