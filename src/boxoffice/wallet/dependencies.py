"""What the wallet routes need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from boxoffice.platform.clock import Clock
from boxoffice.platform.provided import provided
from boxoffice.wallet.service import WalletLimits

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class WalletDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    limits: WalletLimits


Wallet = Annotated[WalletDeps, Depends(provided(WalletDeps))]
