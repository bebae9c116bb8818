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

Payments asked for together go together (`SettleCombiner`, a `platform.batching.StatementBatcher`):
one statement calls `bx_settle` once per payment, in turn, so each sees the ones before it as if
they had been sent one by one. A batch takes its payments in the fans' id order, at most one of
a fan: a fan's second payment asked for meanwhile (a retry with the same key, another hold paid
at once) goes in a later batch, once the first's is done (`platform/batching.py` says why).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.payments.domain import Payment, PaymentStatus, SettleOutcome
from boxoffice.payments.settling import Settlement, Sold
from boxoffice.platform.batching import BATCHES_AT_ONCE, MOST_IN_A_BATCH, StatementBatcher
from boxoffice.platform.database import OnDemandConnection
from boxoffice.platform.idempotency import Idempotency, StoredResponse

__all__ = ["PostgresPaymentSettler", "SettleCombiner", "answer_template"]

# The payments of a batch, one row each (`i` its place). With a payment, the seats it sold, for
# this process's seat maps: a reservation's date and seat numbers are fixed when it is made,
# so the statement's snapshot (taken before bx_settle ran) has them. They are read by
# subqueries, one index lookup per payment: a join to `reservation` is planned as a hash join
# over the whole table (the planner cannot tell how few rows the batch has).
SETTLE_ALL = text(
    "SELECT b.i, s.outcome, s.amount, s.payment_id, s.status_code, s.response_body,"
    " CASE WHEN s.outcome = 'PAID' THEN (SELECT r.schedule_id FROM reservation AS r"
    " WHERE r.id = b.r) END AS schedule_id,"
    " CASE WHEN s.outcome = 'PAID' THEN ARRAY(SELECT rs.number FROM reservation_seat AS rs"
    " WHERE rs.reservation_id = b.r ORDER BY rs.number) END AS seat_numbers"
    " FROM unnest(CAST(:user_ids AS bigint[]), CAST(:reservation_ids AS bigint[]),"
    " CAST(:nows AS timestamptz[]), CAST(:keys AS text[]), CAST(:request_hashes AS text[]),"
    " CAST(:answers AS text[]), CAST(:answer_statuses AS integer[]))"
    " WITH ORDINALITY AS b(u, r, n, k, h, a, st, i)"
    " CROSS JOIN LATERAL bx_settle(b.u, b.r, b.n, b.k, b.h, b.a, b.st) AS s"
    " ORDER BY b.i"
)


@dataclass(frozen=True, slots=True)
class _Settle:
    """The arguments of one `bx_settle`."""

    user_id: int
    reservation_id: int
    now: datetime
    key: str | None
    request_hash: str | None
    answer: StoredResponse | None  # the answer's template (`answer_template`), with a key


async def _send(connection: AsyncConnection, batch: Sequence[_Settle]) -> list[Row[Any]]:
    """Every payment of `batch` in one statement, in order; all or none written if it fails."""
    rows = (
        await connection.execute(
            SETTLE_ALL,
            {
                "user_ids": [p.user_id for p in batch],
                "reservation_ids": [p.reservation_id for p in batch],
                "nows": [p.now for p in batch],
                "keys": [p.key for p in batch],
                "request_hashes": [p.request_hash for p in batch],
                "answers": [None if p.answer is None else p.answer.body.decode() for p in batch],
                "answer_statuses": [
                    None if p.answer is None else p.answer.status_code for p in batch
                ],
            },
        )
    ).all()
    assert [row.i for row in rows] == list(range(1, len(batch) + 1))
    return list(rows)


class SettleCombiner(StatementBatcher[_Settle, Row[Any]]):
    """This process's payments on PostgreSQL, sent together when asked for together."""

    def __init__(self, batches_at_once: int = BATCHES_AT_ONCE, most: int = MOST_IN_A_BATCH) -> None:
        super().__init__(
            "bx_settle",
            _send,
            lambda payment: (payment.user_id, payment.reservation_id),
            # A fan's payments one a batch: each locks its reservation, then the fan's wallet.
            apart=lambda payment: payment.user_id,
            batches_at_once=batches_at_once,
            most=most,
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
    def __init__(
        self, connection: OnDemandConnection, combiner: SettleCombiner | None = None
    ) -> None:
        self._connection = connection
        self._combiner = combiner

    async def settle(
        self,
        user_id: int,
        reservation_id: int,
        now: datetime,
        idempotency: Idempotency,
        answer: Callable[[Payment], StoredResponse],
    ) -> Settlement:
        """The whole payment with its idempotency record in one round trip: with the payments
        asked for at the same time, when this process combines them."""
        template = None
        if idempotency.key is not None:
            template = answer_template(answer, reservation_id, now)
        settle = _Settle(
            user_id, reservation_id, now, idempotency.key, idempotency.fingerprint, template
        )
        if self._combiner is not None:
            row = await self._combiner.run(self._connection, settle)
        else:
            (row,) = await _send(await self._connection.connection(), [settle])
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
