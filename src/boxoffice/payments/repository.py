"""SQL for payments."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, insert, select, update

from boxoffice.catalog.repository import narrowed_to_concerts
from boxoffice.payments.domain import Payment, PaymentStatus
from boxoffice.payments.models import Payment as PaymentRow
from boxoffice.platform.database import OnDemandConnection, epoch_minute
from boxoffice.reservations.models import Reservation as ReservationRow
from boxoffice.reservations.models import ReservationSeat


class PaymentRepository:
    def __init__(self, connection: OnDemandConnection) -> None:
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

    async def paid_since(
        self,
        user_id: int,
        at: datetime,
        *,
        only: Collection[int] | None = None,
        excluding: Collection[int] = (),
    ) -> bool:
        """Whether the fan paid at or after `at` for a date of the concerts `only` names (any
        concert if None) but not those of `excluding`."""
        query = select(PaymentRow.id).where(PaymentRow.user_id == user_id, PaymentRow.paid_at >= at)
        if only is not None or excluding:
            query = query.join(ReservationRow, ReservationRow.id == PaymentRow.reservation_id)
        query = narrowed_to_concerts(query, ReservationRow.schedule_id, only, excluding)
        paid = await self._connection.execute(query.limit(1))
        return paid.first() is not None

    async def mark_refunded(self, reservation_id: int, now: datetime) -> None:
        """The reservation's payment was given back (its booking was cancelled)."""
        await self._connection.execute(
            update(PaymentRow)
            .where(PaymentRow.reservation_id == reservation_id)
            .values(status=PaymentStatus.REFUNDED.value, refunded_at=now)
        )

    async def for_user(self, user_id: int, limit: int, before_id: int | None) -> list[Payment]:
        query = select(PaymentRow).where(PaymentRow.user_id == user_id)
        if before_id is not None:
            query = query.where(PaymentRow.id < before_id)
        rows = (
            await self._connection.execute(query.order_by(PaymentRow.id.desc()).limit(limit))
        ).all()
        return [
            Payment(
                r.id, r.reservation_id, r.amount, PaymentStatus(r.status), r.paid_at, r.refunded_at
            )
            for r in rows
        ]

    async def sales_by_minute(
        self,
        since: datetime,
        *,
        only: Collection[int] | None = None,
        excluding: Collection[int] = (),
    ) -> dict[int, tuple[int, int]]:
        """Payments made since `since` by the minute they were made (Unix minute): (tickets,
        that is seats, and money). For the dates of the concerts `only` names (every concert
        if None) but those of `excluding`."""
        minute = epoch_minute(PaymentRow.paid_at)
        seats = (
            select(func.count())
            .select_from(ReservationSeat)
            .where(ReservationSeat.reservation_id == PaymentRow.reservation_id)
            .scalar_subquery()
        )
        query = select(minute, func.sum(seats), func.sum(PaymentRow.amount)).where(
            PaymentRow.paid_at >= since
        )
        if only is not None or excluding:
            # By the time index, then each payment's reservation and date by their keys.
            query = query.join(ReservationRow, ReservationRow.id == PaymentRow.reservation_id)
        query = narrowed_to_concerts(query, ReservationRow.schedule_id, only, excluding)
        rows = await self._connection.execute(query.group_by(minute))
        return {int(at): (int(tickets), int(money)) for at, tickets, money in rows}
