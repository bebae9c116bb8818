"""Wallet use cases: read the balance and the ledger, charge money in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from boxoffice.platform.errors import AccountGone
from boxoffice.wallet.domain import EntryKind, LedgerEntry
from boxoffice.wallet.exceptions import BalanceLimitExceeded, ChargeTooLarge

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class WalletLimits:
    max_balance: int
    max_charge: int


@dataclass(frozen=True, slots=True)
class Balance:
    balance: int
    currency: str


async def get_balance(uow: UnitOfWork, user_id: int) -> Balance:
    """The caller's balance."""
    found = await uow.wallets.balance(user_id)
    if found is None:  # every account has a wallet from sign-up
        raise AccountGone()
    return Balance(*found)


async def charge(
    uow: UnitOfWork, limits: WalletLimits, user_id: int, amount: int, now: datetime
) -> LedgerEntry:
    """Add money to the wallet, within the single-charge limit and the balance cap."""
    if amount > limits.max_charge:
        raise ChargeTooLarge(
            f"One charge may add at most {limits.max_charge}.",
            errors=[
                {
                    "field": "amount",
                    "location": "body",
                    "message": f"must be at most {limits.max_charge}",
                    "type": "less_than_equal",
                }
            ],
        )
    balance = await uow.wallets.credit(user_id, amount, limits.max_balance, now)
    if balance is None:
        if await uow.wallets.balance(user_id) is None:
            raise AccountGone()
        raise BalanceLimitExceeded(
            f"A balance may not exceed {limits.max_balance}. Charge a smaller amount."
        )
    return await uow.wallets.record(user_id, EntryKind.CHARGE, amount, balance, now)


async def list_entries(
    uow: UnitOfWork, user_id: int, limit: int, before_id: int | None
) -> list[LedgerEntry]:
    """The caller's ledger, newest first, a page at a time."""
    return await uow.wallets.entries(user_id, limit, before_id)
