"""Payment request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictInt

from boxoffice.payments.domain import Payment, PaymentStatus
from boxoffice.platform.limits import MAX_SAFE_INTEGER


class PaymentRequest(BaseModel):
    reservation_id: StrictInt = Field(ge=1, le=MAX_SAFE_INTEGER)


class PaymentOut(BaseModel):
    id: int
    reservation_id: int
    amount: int
    status: PaymentStatus
    paid_at: datetime
    refunded_at: datetime | None = None

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        return cls(
            id=payment.id,
            reservation_id=payment.reservation_id,
            amount=payment.amount,
            status=payment.status,
            paid_at=payment.paid_at,
            refunded_at=payment.refunded_at,
        )
