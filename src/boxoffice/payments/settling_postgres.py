"""`PaymentSettler` as one statement on PostgreSQL: the function `bx_pay_once` (migration 0003).

The function claims the Idempotency-Key, runs the steps of `settling_steps.SteppedPaymentSettler`
in the same order and lock order, and stores the answer under the key, all in one statement: a
refusal writes nothing (it gives its claim back), so it needs no transaction of the caller's. It
renders the answer itself, as `answer` would (tests/e2e/test_payments.py holds the two to the
same bytes), so it is handed `paid_at` already rendered. Its SQL stays in its migration; its
outcome strings become a `SettleOutcome` here, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic_core import to_json
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.payments.domain import Payment, SettleOutcome
from boxoffice.payments.settling import Settlement
from boxoffice.platform.idempotency import Idempotency, StoredResponse

__all__ = ["PostgresPaymentSettler"]

_PAY_ONCE = text(
    "SELECT outcome, amount, payment_id, status_code, response_body"
    " FROM bx_pay_once(:user_id, :reservation_id, :now, :key, :request_hash, :paid_at)"
)

_OUTCOMES = {"OK": SettleOutcome.PAID} | {
    outcome.value: outcome for outcome in SettleOutcome if outcome is not SettleOutcome.PAID
}


class PostgresPaymentSettler:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def settle(
        self,
        user_id: int,
        reservation_id: int,
        now: datetime,
        idempotency: Idempotency,
        answer: Callable[[Payment], StoredResponse],  # rendered by the function instead
    ) -> Settlement:
        """The whole payment with its idempotency record in one round trip."""
        row = (
            await self._connection.execute(
                _PAY_ONCE,
                {
                    "user_id": user_id,
                    "reservation_id": reservation_id,
                    "now": now,
                    "key": idempotency.key,
                    "request_hash": idempotency.fingerprint,
                    "paid_at": to_json(now).decode(),
                },
            )
        ).one()
        outcome = _OUTCOMES[str(row.outcome)]
        response = None
        if row.response_body is not None:
            response = StoredResponse(
                int(row.status_code),
                bytes(row.response_body),
                replayed=outcome is SettleOutcome.REPLAY,
            )
        payment_id = None if row.payment_id is None else int(row.payment_id)
        return Settlement(outcome, int(row.amount or 0), payment_id, response)
