"""What the payment routes need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from boxoffice.catalog.dependencies import Listings
from boxoffice.platform.clock import Clock
from boxoffice.platform.provided import provided
from boxoffice.waiting_room.service import WaitingRoom

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class PaymentsDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    waiting_room: WaitingRoom  # the pass: checked before, used up after a payment
    listings: Listings  # made stale by every payment here


payments_deps = provided(PaymentsDeps)
Payments = Annotated[PaymentsDeps, Depends(payments_deps)]
