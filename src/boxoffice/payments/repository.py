"""SQL for payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.payments.domain import Payment, PaymentStatus
from boxoffice.payments.models import Payment as PaymentRow


@dataclass(frozen=True, slots=True)
class Settlement:
    """What `pay_at_once` did. Any outcome but PAID leaves writes the caller must roll back."""

    outcome: str  # PAID, NOT_PAYABLE (nothing written), SEATS_GONE, INSUFFICIENT
    amount: int
    payment_id: int | None


_PAY_AT_ONCE = text(
    "SELECT outcome, amount, payment_id FROM bx_pay(:user_id, :reservation_id, :now)"
)


class PaymentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, user_id: int, reservation_id: int, amount: int, now: datetime) -> Payment:
        result = await self._connection.execute(
            insert(PaymentRow)
            .values(
                user_id=user_id,
                reservation_id=reservation_id,
                amount=amount,
                status=PaymentStatus.PAID.value,
                paid_at=now,
            )
            .returning(PaymentRow.id)
        )
        return Payment(int(result.scalar_one()), reservation_id, amount, PaymentStatus.PAID, now)

    async def pay_at_once(self, user_id: int, reservation_id: int, now: datetime) -> Settlement:
        """PostgreSQL: confirm the hold, sell its seats, debit, record, in one round trip.

        Function bx_pay (migration 0002) runs the steps of `payments.service.pay` in the same
        order and lock order, inside the caller's transaction.
        """
        row = (
            await self._connection.execute(
                _PAY_AT_ONCE,
                {"user_id": user_id, "reservation_id": reservation_id, "now": now},
            )
        ).one()
        outcome = "PAID" if row.outcome == "OK" else str(row.outcome)
        payment_id = None if row.payment_id is None else int(row.payment_id)
        return Settlement(outcome, int(row.amount or 0), payment_id)

    async def mark(self, reservation_id: int, status: PaymentStatus, now: datetime) -> None:
        await self._connection.execute(
            update(PaymentRow)
            .where(PaymentRow.reservation_id == reservation_id)
            .values(status=status.value, refunded_at=now)
        )

    async def for_user(self, user_id: int, limit: int) -> list[Payment]:
        rows = (
            await self._connection.execute(
                select(PaymentRow)
                .where(PaymentRow.user_id == user_id)
                .order_by(PaymentRow.id.desc())
                .limit(limit)
            )
        ).all()
        return [
            Payment(
                r.id, r.reservation_id, r.amount, PaymentStatus(r.status), r.paid_at, r.refunded_at
            )
            for r in rows
        ]
