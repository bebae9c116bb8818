"""Payment records with no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SettleOutcome(StrEnum):
    """How an attempt to pay ended; only PAID wrote anything the caller may commit."""

    PAID = "PAID"
    REPLAY = "REPLAY"  # the Idempotency-Key's first answer, given again; nothing done now
    KEY_REUSED = "KEY_REUSED"  # the key was used before for another request
    NOT_PAYABLE = "NOT_PAYABLE"  # not the fan's, not HELD, or its hold ran out
    SEATS_GONE = "SEATS_GONE"  # a seat of the hold went to someone else after it ran out
    INSUFFICIENT = "INSUFFICIENT"  # the balance is below the amount


class PaymentStatus(StrEnum):
    PAID = "PAID"
    REFUNDED = "REFUNDED"


@dataclass(frozen=True, slots=True)
class Payment:
    id: int
    reservation_id: int
    amount: int
    status: PaymentStatus
    paid_at: datetime
    refunded_at: datetime | None = None
