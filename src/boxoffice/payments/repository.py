"""SQL for payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic_core import to_json
from sqlalchemy import exists, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.payments.domain import Payment, PaymentStatus
from boxoffice.payments.models import Payment as PaymentRow
from boxoffice.platform.idempotency import StoredResponse


@dataclass(frozen=True, slots=True)
class Settlement:
    """What a payment did. Only PAID wrote anything (in steps, the caller rolls back the rest)."""

    # PAID, REPLAY (the key's first answer), KEY_REUSED, NOT_PAYABLE, SEATS_GONE, INSUFFICIENT
    outcome: str
    amount: int
    payment_id: int | None
    answer: StoredResponse | None = None  # from bx_pay_once: PAID's answer, or the replayed one


_PAY_ONCE = text(
    "SELECT outcome, amount, payment_id, status_code, response_body"
    " FROM bx_pay_once(:user_id, :reservation_id, :now, :key, :request_hash, :paid_at)"
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

    async def pay_once(
        self,
        user_id: int,
        reservation_id: int,
        now: datetime,
        key: str | None,
        request_hash: str,
    ) -> Settlement:
        """PostgreSQL: the whole payment with its idempotency record as one statement.

        Function bx_pay_once (migration 0003) runs the steps of `payments.service.pay` in the
        same order and lock order; the caller needs no transaction of its own. It stores the
        answer the API gives (`PaymentOut`), so it is handed `paid_at` as the API renders it.
        """
        row = (
            await self._connection.execute(
                _PAY_ONCE,
                {
                    "user_id": user_id,
                    "reservation_id": reservation_id,
                    "now": now,
                    "key": key,
                    "request_hash": request_hash,
                    "paid_at": to_json(now).decode(),
                },
            )
        ).one()
        outcome = "PAID" if row.outcome == "OK" else str(row.outcome)
        answer = None
        if row.response_body is not None:
            answer = StoredResponse(
                int(row.status_code), bytes(row.response_body), replayed=outcome == "REPLAY"
            )
        payment_id = None if row.payment_id is None else int(row.payment_id)
        return Settlement(outcome, int(row.amount or 0), payment_id, answer)

    async def paid_since(self, user_id: int, at: datetime) -> bool:
        """Whether the fan paid for anything at or after `at`."""
        paid = exists().where(PaymentRow.user_id == user_id, PaymentRow.paid_at >= at)
        return bool((await self._connection.execute(select(paid))).scalar_one())

    async def mark_refunded(self, reservation_id: int, now: datetime) -> None:
        """The reservation's payment was given back (its booking was cancelled)."""
        await self._connection.execute(
            update(PaymentRow)
            .where(PaymentRow.reservation_id == reservation_id)
            .values(status=PaymentStatus.REFUNDED.value, refunded_at=now)
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
