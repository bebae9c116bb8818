"""Paying for a hold: one transaction moves the money, confirms the seats and records it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

from boxoffice.payments.domain import Payment, PaymentStatus
from boxoffice.payments.exceptions import HoldExpired, ReservationNotPayable
from boxoffice.payments.repository import Settlement
from boxoffice.platform.errors import IdempotencyKeyReused
from boxoffice.platform.idempotency import Idempotency, StoredResponse, run_idempotent
from boxoffice.reservations.domain import ReservationStatus
from boxoffice.reservations.exceptions import ReservationNotFound
from boxoffice.wallet.domain import EntryKind
from boxoffice.wallet.exceptions import InsufficientBalance

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWork


async def pay(
    uow: UnitOfWork,
    user_id: int,
    reservation_id: int,
    now: datetime,
    idempotency: Idempotency,
    answer: Callable[[Payment], StoredResponse],
) -> StoredResponse:
    """Pay a live hold from the wallet, once per Idempotency-Key: a repeat gets the first answer.

    Any failure leaves nothing written. `answer` renders a payment as the API answers it.
    """
    if uow.server_functions:
        return await _pay_in_one_statement(uow, user_id, reservation_id, now, idempotency)

    async def in_steps() -> StoredResponse:
        settled = await _pay_in_steps(uow, user_id, reservation_id, now)
        if settled.outcome != "PAID":
            await _refuse(uow, user_id, reservation_id, now, settled)
        assert settled.payment_id is not None
        return answer(
            Payment(settled.payment_id, reservation_id, settled.amount, PaymentStatus.PAID, now)
        )

    return await run_idempotent(uow.idempotency, user_id, idempotency, now, in_steps)


async def _pay_in_one_statement(
    uow: UnitOfWork, user_id: int, reservation_id: int, now: datetime, idempotency: Idempotency
) -> StoredResponse:
    """PostgreSQL: claim, pay and store the answer in one statement (migration 0003), which
    renders the answer as `answer` would (tests/e2e/test_payments.py)."""
    settled = await uow.payments.pay_once(
        user_id, reservation_id, now, idempotency.key, idempotency.fingerprint
    )
    if settled.outcome == "KEY_REUSED":
        raise IdempotencyKeyReused()
    if settled.answer is None:
        await _refuse(uow, user_id, reservation_id, now, settled)
    return settled.answer  # paid now, or the key's first answer


async def _refuse(
    uow: UnitOfWork, user_id: int, reservation_id: int, now: datetime, settled: Settlement
) -> NoReturn:
    """The domain error for a payment that did not go through, and what to do next."""
    if settled.outcome == "SEATS_GONE":
        # Only possible if a seat was re-taken after this hold ran out (clock skew between
        # instances): the hold is gone, whatever its own clock says.
        raise HoldExpired("Your hold ran out and a seat went to someone else. Hold seats again.")
    if settled.outcome == "INSUFFICIENT":
        current = await uow.wallets.balance(user_id)
        balance = current[0] if current else 0
        raise InsufficientBalance(
            f"This costs {settled.amount} and your balance is {balance}. "
            "Top up your wallet, then pay again before the hold runs out.",
            amount=settled.amount,
            balance=balance,
        )
    assert settled.outcome == "NOT_PAYABLE", settled.outcome
    reservation = await uow.reservations.get(reservation_id, now)
    if reservation is None or reservation.user_id != user_id:
        raise ReservationNotFound(f"You have no reservation {reservation_id}.")
    if reservation.status is ReservationStatus.EXPIRED:
        raise HoldExpired("Your hold ran out and the seats were released. Hold seats again.")
    raise ReservationNotPayable(
        f"This reservation is {reservation.status.value.lower()} and cannot be paid."
    )


async def _pay_in_steps(
    uow: UnitOfWork, user_id: int, reservation_id: int, now: datetime
) -> Settlement:
    """The payment as separate statements (SQLite), in the lock order used everywhere:
    reservation, then its seats, then the wallet, then the payment."""
    moved = await uow.reservations.transition(
        reservation_id,
        user_id,
        ReservationStatus.HELD,
        ReservationStatus.CONFIRMED,
        now,
        live_at=now,
    )
    if moved is None:
        return Settlement("NOT_PAYABLE", 0, None)
    amount = moved.amount
    if await uow.reservations.sell_seats(reservation_id) != moved.seat_count:
        return Settlement("SEATS_GONE", amount, None)
    if amount > 0:
        balance = await uow.wallets.debit(user_id, amount, now)
        if balance is None:
            return Settlement("INSUFFICIENT", amount, None)
        await uow.wallets.record(
            user_id, EntryKind.PAYMENT, amount, balance, now, reservation_id=reservation_id
        )
    payment = await uow.payments.add(user_id, reservation_id, amount, now)
    return Settlement("PAID", amount, payment.id)


async def list_payments(uow: UnitOfWork, user_id: int, limit: int = 100) -> list[Payment]:
    """The caller's payments, newest first."""
    return await uow.payments.for_user(user_id, limit)
