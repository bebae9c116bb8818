"""Paying for a hold: one transaction moves the money, confirms the seats and records it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

from boxoffice.payments.domain import Payment, SettleOutcome
from boxoffice.payments.exceptions import HoldExpired, ReservationNotPayable
from boxoffice.payments.settling import Settlement, Sold
from boxoffice.platform.errors import IdempotencyKeyReused
from boxoffice.platform.idempotency import Idempotency, StoredResponse
from boxoffice.reservations.domain import ReservationStatus
from boxoffice.reservations.exceptions import ReservationNotFound
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
) -> tuple[StoredResponse, Sold | None]:
    """Pay a live hold from the wallet, once per Idempotency-Key: a repeat gets the first answer.

    Any failure leaves nothing written. `answer` renders a payment as the API answers it. Gives
    the answer (paid now, or the key's first) and the seats sold now (none on a repeat).
    """
    settled = await uow.settler.settle(user_id, reservation_id, now, idempotency, answer)
    if settled.outcome is SettleOutcome.KEY_REUSED:
        raise IdempotencyKeyReused()
    if settled.answer is None:
        await _refuse(uow, user_id, reservation_id, now, settled)
    return settled.answer, settled.sold


async def _refuse(
    uow: UnitOfWork, user_id: int, reservation_id: int, now: datetime, settled: Settlement
) -> NoReturn:
    """The domain error for a payment that did not go through, and what to do next."""
    if settled.outcome is SettleOutcome.SEATS_GONE:
        # Only possible if a seat was re-taken after this hold ran out (clock skew between
        # instances): the hold is gone, whatever its own clock says.
        raise HoldExpired("Your hold ran out and a seat went to someone else. Hold seats again.")
    if settled.outcome is SettleOutcome.INSUFFICIENT:
        current = await uow.wallets.balance(user_id)
        balance = current[0] if current else 0
        raise InsufficientBalance(
            f"This costs {settled.amount} and your balance is {balance}. "
            "Top up your wallet, then pay again before the hold runs out.",
            amount=settled.amount,
            balance=balance,
        )
    assert settled.outcome is SettleOutcome.NOT_PAYABLE, settled.outcome
    reservation = await uow.reservations.get(reservation_id, now)
    if reservation is None or reservation.user_id != user_id:
        raise ReservationNotFound(f"You have no reservation {reservation_id}.")
    if reservation.status is ReservationStatus.EXPIRED:
        raise HoldExpired("Your hold ran out and the seats were released. Hold seats again.")
    raise ReservationNotPayable(
        f"This reservation is {reservation.status.value.lower()} and cannot be paid."
    )


async def list_payments(
    uow: UnitOfWork, user_id: int, limit: int, before_id: int | None
) -> list[Payment]:
    """The caller's payments, newest first, a page at a time."""
    return await uow.payments.for_user(user_id, limit, before_id)
