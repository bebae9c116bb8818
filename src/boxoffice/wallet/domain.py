"""Wallet rules with no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EntryKind(StrEnum):
    CHARGE = "CHARGE"
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    kind: EntryKind
    amount: int
    balance_after: int
    created_at: datetime
    reservation_id: int | None = None


def signed_amount(kind: EntryKind, amount: int) -> int:
    """Ledger entries are signed so that a balance is the plain sum of its entries."""
    if amount <= 0:
        raise ValueError("an amount moved is always positive")
    return -amount if kind is EntryKind.PAYMENT else amount


def can_credit(balance: int, amount: int, max_balance: int) -> bool:
    """A credit may not lift the balance above the cap."""
    return amount > 0 and balance + amount <= max_balance


def can_debit(balance: int, amount: int) -> bool:
    """A debit may not take the balance below zero."""
    return 0 <= amount <= balance
