"""What the wallet routes need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from boxoffice.platform.clock import Clock
from boxoffice.platform.provided import provided
from boxoffice.unit_of_work import UnitOfWorkFactory
from boxoffice.wallet.service import WalletLimits


@dataclass(frozen=True)
class WalletDeps:
    uow: UnitOfWorkFactory
    clock: Clock
    limits: WalletLimits


Wallet = Annotated[WalletDeps, Depends(provided(WalletDeps))]
