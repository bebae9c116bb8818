"""Payment records with no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
