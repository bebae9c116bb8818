"""SQL for reservations. Seats are taken and released by conditional UPDATEs on the seat rows.

A hold's steps (`lock_fan_and_count_held`, `add`, `take_seats`, `record_seats`) are run by
`holding_steps.SteppedSeatHolder`; on PostgreSQL `holding_postgres` runs them as one function.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ScalarSelect, and_, func, insert, select, update

from boxoffice.accounts.models import UserAccount
from boxoffice.catalog.models import Seat
from boxoffice.catalog.repository import narrowed_to_concerts, seat_is_free
from boxoffice.platform.database import OnDemandConnection, epoch_minute
from boxoffice.reservations.domain import (
    Reservation,
    ReservationStatus,
    ReservedSeat,
    TakenSeat,
    effective_status,
)
from boxoffice.reservations.models import Reservation as ReservationRow
from boxoffice.reservations.models import ReservationSeat


@dataclass(frozen=True, slots=True)
class Moved:
    """A reservation that changed state: what it costs, how many seats it names, its date."""

    amount: int
    seat_count: int
    schedule_id: int


def _seat_count() -> ScalarSelect[int]:
    """How many seats the reservation row at hand names."""
    return (
        select(func.count())
        .select_from(ReservationSeat)
        .where(ReservationSeat.reservation_id == ReservationRow.id)
        .scalar_subquery()
    )


class ReservationRepository:
    def __init__(self, connection: OnDemandConnection) -> None:
        self._connection = connection

    async def lock_fan_and_count_held(self, user_id: int, now: datetime) -> int:
        """Lock the fan's account row, then count the seats they hold now.

        The row lock serializes one fan's concurrent holds, so two tabs cannot both slip under
        the per-fan limit. The count is a second statement on purpose: under READ COMMITTED a
        statement that waited for the lock still sees its own older snapshot, and would miss
        the hold that the other tab just committed.
        """
        await self._connection.execute(
            select(UserAccount.id).where(UserAccount.id == user_id).with_for_update()
        )
        held = (
            select(func.count())
            .select_from(Seat)
            .join(ReservationRow, ReservationRow.id == Seat.reservation_id)
            .where(
                ReservationRow.user_id == user_id,
                ReservationRow.status == "HELD",
                Seat.status == "HELD",
                Seat.held_until > now,
            )
        )
        return int((await self._connection.execute(held)).scalar_one())

    async def add(
        self,
        user_id: int,
        schedule_id: int,
        numbers: Sequence[int],
        held_until: datetime,
        now: datetime,
    ) -> int:
        """A new HELD reservation costing the named seats' prices (seat prices never change)."""
        amount = (
            select(func.coalesce(func.sum(Seat.price), 0))
            .where(Seat.schedule_id == schedule_id, Seat.number.in_(numbers))
            .scalar_subquery()
        )
        result = await self._connection.execute(
            insert(ReservationRow)
            .values(
                user_id=user_id,
                schedule_id=schedule_id,
                amount=amount,
                status="HELD",
                held_until=held_until,
                created_at=now,
                updated_at=now,
            )
            .returning(ReservationRow.id)
        )
        return int(result.scalar_one())

    async def take_seats(
        self,
        reservation_id: int,
        schedule_id: int,
        numbers: Sequence[int],
        held_until: datetime,
        now: datetime,
    ) -> list[TakenSeat]:
        """Hold every free seat of `numbers` for the reservation; the caller checks all came.

        Only free seats are locked, and a seat another hold has locked this instant is skipped
        (SKIP LOCKED, a no-op on SQLite, whose writers take turns): a seat being taken right now
        counts as taken. So a hot seat never builds a queue of waiting transactions, and holds
        of overlapping seats can never deadlock, because nobody waits for a lock at all.
        """
        free = (
            select(Seat.id)
            .where(Seat.schedule_id == schedule_id, Seat.number.in_(numbers), seat_is_free(now))
            .with_for_update(skip_locked=True)
        )
        result = await self._connection.execute(
            update(Seat)
            .where(Seat.id.in_(free.scalar_subquery()), seat_is_free(now))
            .values(status="HELD", reservation_id=reservation_id, held_until=held_until)
            .returning(Seat.id, Seat.number, Seat.price)
        )
        taken = [TakenSeat(r.id, r.number, r.price) for r in result]
        return sorted(taken, key=lambda seat: seat.number)

    async def record_seats(self, reservation_id: int, seats: Sequence[TakenSeat]) -> None:
        await self._connection.execute(
            insert(ReservationSeat),
            [
                {
                    "reservation_id": reservation_id,
                    "seat_id": s.id,
                    "number": s.number,
                    "price": s.price,
                }
                for s in seats
            ],
        )

    async def get(self, reservation_id: int, now: datetime) -> Reservation | None:
        found = await self._load(ReservationRow.id == reservation_id, now, limit=1)
        return found[0] if found else None

    async def schedule_of(self, reservation_id: int, user_id: int) -> int | None:
        """The date of one of the fan's reservations; None if they have no such one."""
        result = await self._connection.execute(
            select(ReservationRow.schedule_id).where(
                ReservationRow.id == reservation_id, ReservationRow.user_id == user_id
            )
        )
        return result.scalar_one_or_none()

    async def for_user(
        self, user_id: int, now: datetime, limit: int, before_id: int | None = None
    ) -> list[Reservation]:
        mine = ReservationRow.user_id == user_id
        if before_id is not None:
            mine = and_(mine, ReservationRow.id < before_id)
        return await self._load(mine, now, limit=limit)

    async def transition(
        self,
        reservation_id: int,
        user_id: int,
        from_status: ReservationStatus,
        to_status: ReservationStatus,
        now: datetime,
        *,
        live_at: datetime | None = None,
    ) -> Moved | None:
        """Move a reservation between states if it is still in `from_status`; None if it was not.

        With `live_at`, a HELD reservation moves only while its hold has not run out.
        """
        conditions = [
            ReservationRow.id == reservation_id,
            ReservationRow.user_id == user_id,
            ReservationRow.status == from_status.value,
        ]
        if live_at is not None:
            conditions.append(ReservationRow.held_until > live_at)
        result = await self._connection.execute(
            update(ReservationRow)
            .where(and_(*conditions))
            .values(status=to_status.value, updated_at=now)
            .returning(ReservationRow.amount, _seat_count(), ReservationRow.schedule_id)
        )
        row = result.one_or_none()
        return None if row is None else Moved(int(row[0]), int(row[1]), int(row[2]))

    async def sell_seats(self, reservation_id: int) -> list[int]:
        """Mark the reservation's held seats SOLD; the numbers of those that were still its own."""
        result = await self._connection.execute(
            update(Seat)
            .where(Seat.reservation_id == reservation_id, Seat.status == "HELD")
            .values(status="SOLD", held_until=None)
            .returning(Seat.number)
        )
        return sorted(int(number) for number in result.scalars())

    async def release_seats(self, reservation_id: int) -> int:
        """Free the seats this reservation still holds or bought."""
        result = await self._connection.execute(
            update(Seat)
            .where(Seat.reservation_id == reservation_id)
            .values(status="AVAILABLE", reservation_id=None, held_until=None)
        )
        return int(result.rowcount)

    async def expire_lapsed(self, now: datetime, batch: int) -> int:
        """Mark lapsed holds EXPIRED and free their seats. Safe on every instance at once."""
        lapsed = (
            select(ReservationRow.id)
            .where(ReservationRow.status == "HELD", ReservationRow.held_until <= now)
            .order_by(ReservationRow.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        ids = [int(i) for i in (await self._connection.execute(lapsed)).scalars()]
        if not ids:
            return 0
        await self._connection.execute(
            update(ReservationRow)
            .where(ReservationRow.id.in_(ids))
            .values(status="EXPIRED", updated_at=now)
        )
        # Only seats still held by these lapsed holds: a seat already re-held by another fan
        # points at that fan's reservation and is left alone.
        await self._connection.execute(
            update(Seat)
            .where(Seat.reservation_id.in_(ids), Seat.status == "HELD")
            .values(status="AVAILABLE", reservation_id=None, held_until=None)
        )
        return len(ids)

    async def _load(self, condition: object, now: datetime, limit: int) -> list[Reservation]:
        rows = (
            await self._connection.execute(
                select(ReservationRow)
                .where(condition)  # type: ignore[arg-type]  # a SQL expression built by callers
                .order_by(ReservationRow.id.desc())
                .limit(limit)
            )
        ).all()
        if not rows:
            return []
        seats: dict[int, list[ReservedSeat]] = defaultdict(list)
        seat_rows = await self._connection.execute(
            select(ReservationSeat.reservation_id, ReservationSeat.number, ReservationSeat.price)
            .where(ReservationSeat.reservation_id.in_([r.id for r in rows]))
            .order_by(ReservationSeat.number)
        )
        for s in seat_rows:
            seats[s.reservation_id].append(ReservedSeat(s.number, s.price))
        return [
            Reservation(
                id=r.id,
                user_id=r.user_id,
                schedule_id=r.schedule_id,
                seats=tuple(seats[r.id]),
                amount=r.amount,
                status=effective_status(r.status, r.held_until, now),
                held_until=r.held_until,
                created_at=r.created_at,
            )
            for r in rows
        ]

    async def holds_by_minute(
        self,
        since: datetime,
        *,
        only: Collection[int] | None = None,
        excluding: Collection[int] = (),
    ) -> dict[int, int]:
        """Holds made since `since`, counted by the minute they were made (Unix minute): of the
        dates of the concerts `only` names (every concert if None) but those of `excluding`."""
        minute = epoch_minute(ReservationRow.created_at)
        query = select(minute, func.count()).where(ReservationRow.created_at >= since)
        query = narrowed_to_concerts(query, ReservationRow.schedule_id, only, excluding)
        rows = await self._connection.execute(query.group_by(minute))
        return {int(at): int(count) for at, count in rows}

    async def lapsed_by_minute(
        self,
        since: datetime,
        now: datetime,
        *,
        only: Collection[int] | None = None,
        excluding: Collection[int] = (),
    ) -> dict[int, int]:
        """Holds that ran out unpaid between `since` and `now`, counted by the minute they ran
        out: marked EXPIRED, or still HELD past their time until the sweeper comes. Of the
        dates of the concerts `only` names (every concert if None) but those of `excluding`."""
        minute = epoch_minute(ReservationRow.held_until)
        query = select(minute, func.count()).where(
            ReservationRow.status.in_(
                [ReservationStatus.EXPIRED.value, ReservationStatus.HELD.value]
            ),
            ReservationRow.held_until >= since,
            ReservationRow.held_until <= now,
        )
        query = narrowed_to_concerts(query, ReservationRow.schedule_id, only, excluding)
        rows = await self._connection.execute(query.group_by(minute))
        return {int(at): int(count) for at, count in rows}
