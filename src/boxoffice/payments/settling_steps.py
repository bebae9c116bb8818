"""`PaymentSettler` as separate statements inside the unit of work's transaction (SQLite)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from boxoffice.payments.domain import Payment, PaymentStatus, SettleOutcome
from boxoffice.payments.repository import PaymentRepository
from boxoffice.payments.settling import Settlement, Sold
from boxoffice.platform.errors import IdempotencyKeyReused
from boxoffice.platform.idempotency import (
    Idempotency,
    IdempotencyRepository,
    StoredResponse,
    run_idempotent,
)
from boxoffice.reservations.domain import ReservationStatus
from boxoffice.reservations.repository import ReservationRepository
from boxoffice.wallet.domain import EntryKind
from boxoffice.wallet.repository import WalletRepository

__all__ = ["SteppedPaymentSettler"]


class _Refused(Exception):
    """Carries a refusal out of `run_idempotent`, so that no answer is stored under the key."""

    def __init__(self, settlement: Settlement) -> None:
        super().__init__(settlement.outcome)
        self.settlement = settlement


class SteppedPaymentSettler:
    def __init__(
        self,
        reservations: ReservationRepository,
        wallets: WalletRepository,
        payments: PaymentRepository,
        idempotency: IdempotencyRepository,
    ) -> None:
        self._reservations = reservations
        self._wallets = wallets
        self._payments = payments
        self._idempotency = idempotency

    async def settle(
        self,
        user_id: int,
        reservation_id: int,
        now: datetime,
        idempotency: Idempotency,
        answer: Callable[[Payment], StoredResponse],
    ) -> Settlement:
        """A refusal leaves the key's claim and earlier steps written: the caller rolls back."""
        paid: list[Settlement] = []

        async def in_steps() -> StoredResponse:
            settled = await self._pay(user_id, reservation_id, now)
            if settled.outcome is not SettleOutcome.PAID:
                raise _Refused(settled)
            assert settled.payment_id is not None
            paid.append(settled)
            payment = Payment(
                settled.payment_id, reservation_id, settled.amount, PaymentStatus.PAID, now
            )
            return answer(payment)

        try:
            response = await run_idempotent(self._idempotency, user_id, idempotency, now, in_steps)
        except _Refused as refused:
            return refused.settlement
        except IdempotencyKeyReused:
            return Settlement(SettleOutcome.KEY_REUSED, 0)
        if not paid:
            return Settlement(SettleOutcome.REPLAY, 0, None, response)
        return Settlement(
            SettleOutcome.PAID, paid[0].amount, paid[0].payment_id, response, paid[0].sold
        )

    async def _pay(self, user_id: int, reservation_id: int, now: datetime) -> Settlement:
        """In the lock order used everywhere: reservation, its seats, the wallet, the payment."""
        moved = await self._reservations.transition(
            reservation_id,
            user_id,
            ReservationStatus.HELD,
            ReservationStatus.CONFIRMED,
            now,
            live_at=now,
        )
        if moved is None:
            return Settlement(SettleOutcome.NOT_PAYABLE, 0)
        amount = moved.amount
        sold = await self._reservations.sell_seats(reservation_id)
        if len(sold) != moved.seat_count:
            return Settlement(SettleOutcome.SEATS_GONE, amount)
        if amount > 0:
            balance = await self._wallets.debit(user_id, amount, now)
            if balance is None:
                return Settlement(SettleOutcome.INSUFFICIENT, amount)
            await self._wallets.record(
                user_id, EntryKind.PAYMENT, amount, balance, now, reservation_id=reservation_id
            )
        payment = await self._payments.add(user_id, reservation_id, amount, now)
        return Settlement(
            SettleOutcome.PAID,
            amount,
            payment.id,
            sold=Sold(moved.schedule_id, tuple(sold), amount),
        )
