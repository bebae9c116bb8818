"""`PaymentSettler` as one statement on PostgreSQL: the function `bx_settle`, whose SQL is the
file beside this one (`settling_postgres.sql`, loaded by the migrations).

The function claims the Idempotency-Key, runs the steps of `settling_steps.SteppedPaymentSettler`
in the same order and lock order, and stores the answer under the key, all in one statement: a
refusal writes nothing (it gives its claim back), so it needs no transaction of the caller's. It
answers a `SettleOutcome`'s value and the facts of a payment (its id and amount), from which
`answer` renders the API's answer here, as on every engine.

The answer the key keeps must be those very bytes, yet the payment's id is known only inside the
statement. So the function is handed `answer`'s own rendering of this payment with the id and
amount left as `%1$s` and `%2$s` (`answer_template`), which it fills in with `format`: the shape
of the answer is written once, by `answer`; tests/e2e/test_payments.py holds a replay to the
first answer's bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.payments.domain import Payment, PaymentStatus, SettleOutcome
from boxoffice.payments.settling import Settlement, Sold
from boxoffice.platform.idempotency import Idempotency, StoredResponse

__all__ = ["PostgresPaymentSettler", "answer_template"]

# With a payment, the seats it sold, for this process's seat maps: a reservation's date and
# seat numbers are fixed when it is made, so the statement's snapshot (taken before bx_settle
# ran) has them.
_SETTLE = text(
    "SELECT s.outcome, s.amount, s.payment_id, s.status_code, s.response_body, r.schedule_id,"
    " CASE WHEN s.outcome = 'PAID' THEN ARRAY(SELECT rs.number FROM reservation_seat AS rs"
    " WHERE rs.reservation_id = :reservation_id ORDER BY rs.number) END AS seat_numbers"
    " FROM bx_settle("
    ":user_id, :reservation_id, :now, :key, :request_hash, :answer, :answer_status) AS s"
    " LEFT JOIN reservation AS r ON s.outcome = 'PAID' AND r.id = :reservation_id"
)

# Stand-ins for the payment's id and amount, rendered once each where the real ones go.
_ID_SLOT = (-730_100_000_001, "%1$s")
_AMOUNT_SLOT = (-730_100_000_002, "%2$s")


def answer_template(
    answer: Callable[[Payment], StoredResponse], reservation_id: int, now: datetime
) -> StoredResponse:
    """`answer` for a payment of this reservation made now, with its id and amount as the
    placeholders of PostgreSQL's `format` (every other `%` escaped)."""
    (id_stand_in, id_slot), (amount_stand_in, amount_slot) = _ID_SLOT, _AMOUNT_SLOT
    sample = answer(Payment(id_stand_in, reservation_id, amount_stand_in, PaymentStatus.PAID, now))
    template = sample.body.decode().replace("%", "%%")
    for stand_in, slot in ((id_stand_in, id_slot), (amount_stand_in, amount_slot)):
        if template.count(str(stand_in)) != 1:
            raise ValueError(f"the answer does not render {stand_in} exactly once: {template}")
        template = template.replace(str(stand_in), slot)
    return StoredResponse(sample.status_code, template.encode())


class PostgresPaymentSettler:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def settle(
        self,
        user_id: int,
        reservation_id: int,
        now: datetime,
        idempotency: Idempotency,
        answer: Callable[[Payment], StoredResponse],
    ) -> Settlement:
        """The whole payment with its idempotency record in one round trip."""
        template = None
        if idempotency.key is not None:
            template = answer_template(answer, reservation_id, now)
        row = (
            await self._connection.execute(
                _SETTLE,
                {
                    "user_id": user_id,
                    "reservation_id": reservation_id,
                    "now": now,
                    "key": idempotency.key,
                    "request_hash": idempotency.fingerprint,
                    "answer": None if template is None else template.body.decode(),
                    "answer_status": None if template is None else template.status_code,
                },
            )
        ).one()
        outcome = SettleOutcome(row.outcome)
        amount = int(row.amount or 0)
        if outcome is SettleOutcome.PAID:
            payment_id = int(row.payment_id)
            paid = Payment(payment_id, reservation_id, amount, PaymentStatus.PAID, now)
            numbers = tuple(int(n) for n in row.seat_numbers)
            sold = Sold(int(row.schedule_id), numbers, amount)
            return Settlement(outcome, amount, payment_id, answer(paid), sold)
        if outcome is SettleOutcome.REPLAY:
            first = StoredResponse(int(row.status_code), bytes(row.response_body), replayed=True)
            return Settlement(outcome, amount, None, first)
        return Settlement(outcome, amount)
