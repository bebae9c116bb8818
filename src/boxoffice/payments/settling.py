"""The port that settles a payment, once per Idempotency-Key: `PaymentSettler`.

`settling_steps.SteppedPaymentSettler` runs the payment as separate statements in the unit of
work's transaction (SQLite); `settling_postgres.PostgresPaymentSettler` runs it, with its
idempotency record, as one statement, the function `bx_settle` (`settling_postgres.sql`). The
unit of work picks one for its engine; both pass tests/contract/test_payment_settler.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from boxoffice.payments.domain import Payment, SettleOutcome
from boxoffice.platform.idempotency import Idempotency, StoredResponse

__all__ = ["PaymentSettler", "Settlement", "Sold"]


@dataclass(frozen=True, slots=True)
class Sold:
    """What a payment sold: the seats (the seat maps of this process show them at once) and the
    money they cost."""

    schedule_id: int
    seat_numbers: tuple[int, ...]
    amount: int


@dataclass(frozen=True, slots=True)
class Settlement:
    """What a payment did. Only PAID wrote anything: on a refusal the caller rolls back."""

    outcome: SettleOutcome
    amount: int  # what the reservation costs; 0 when not known (NOT_PAYABLE, REPLAY, ...)
    payment_id: int | None = None  # PAID only
    answer: StoredResponse | None = None  # PAID: the answer, as stored; REPLAY: the first one
    sold: Sold | None = None  # PAID only


class PaymentSettler(Protocol):
    async def settle(
        self,
        user_id: int,
        reservation_id: int,
        now: datetime,
        idempotency: Idempotency,
        answer: Callable[[Payment], StoredResponse],
    ) -> Settlement:
        """Pay the fan's live hold from their wallet: confirm it, sell its seats, debit the
        wallet, record the payment and (with a key) store `answer` under the key.

        In the lock order used everywhere: the key, the reservation, its seats, the wallet,
        the payment.
        """
        ...
