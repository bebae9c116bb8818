"""SQL for the catalog. Availability is derived from seat facts: an expired hold counts as free."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute

from boxoffice.catalog import domain
from boxoffice.catalog.models import Concert, Schedule, Seat
from boxoffice.platform.database import OnDemandConnection


def seat_is_free(now: datetime) -> ColumnElement[bool]:
    """SQL for 'this seat can be taken now': available, or held past its hold."""
    return or_(Seat.status == "AVAILABLE", and_(Seat.status == "HELD", Seat.held_until <= now))


Row = TypeVarTuple("Row")

# The seats numbered :first..:last of a date, free, in one section at one price. A recursive
# count, as both engines have it (PostgreSQL's generate_series is its own).
_NUMBERS = select(bindparam("first", type_=Integer).label("n")).cte("numbers", recursive=True)
_NUMBERS = _NUMBERS.union_all(select(_NUMBERS.c.n + 1).where(_NUMBERS.c.n < bindparam("last")))
_SEAT_RUN = insert(Seat).from_select(
    ["schedule_id", "number", "section", "price", "status"],
    select(
        bindparam("schedule_id", type_=Seat.schedule_id.type),
        _NUMBERS.c.n,
        bindparam("section", type_=Seat.section.type),
        bindparam("price", type_=Seat.price.type),
        literal("AVAILABLE", String),
    ),
)


def narrowed_to_concerts(
    query: Select[*Row],
    schedule_id: InstrumentedAttribute[int],
    only: Collection[int] | None,
    excluding: Collection[int],
) -> Select[*Row]:
    """`query` kept to the dates (`schedule_id`: the query's column naming one) of the concerts
    `only` names (every concert if None), but not those of `excluding`: joined to each row's date
    by its key, so the query still starts from its own index (the board's counts by line)."""
    if only is None and not excluding:
        return query
    query = query.join(Schedule, Schedule.id == schedule_id)
    if only is not None:
        query = query.where(Schedule.concert_id.in_(list(only)))
    if excluding:
        query = query.where(Schedule.concert_id.not_in(list(excluding)))
    return query


class CatalogRepository:
    def __init__(self, connection: OnDemandConnection) -> None:
        self._connection = connection

    async def add_concert(
        self, title: str, venue: str, description: str, now: datetime
    ) -> domain.Concert:
        result = await self._connection.execute(
            insert(Concert)
            .values(title=title, venue=venue, description=description, created_at=now)
            .returning(Concert.id)
        )
        return domain.Concert(int(result.scalar_one()), title, venue, description, now)

    async def concerts(self) -> list[domain.Concert]:
        rows = (await self._connection.execute(select(Concert).order_by(Concert.id))).all()
        return [domain.Concert(r.id, r.title, r.venue, r.description, r.created_at) for r in rows]

    async def concert(self, concert_id: int) -> domain.Concert | None:
        row = (
            await self._connection.execute(select(Concert).where(Concert.id == concert_id))
        ).one_or_none()
        if row is None:
            return None
        return domain.Concert(row.id, row.title, row.venue, row.description, row.created_at)

    async def add_schedule(
        self,
        concert_id: int,
        starts_at: datetime,
        tiers: Sequence[domain.PriceTier],
        now: datetime,
    ) -> domain.Schedule:
        total = sum(tier.seat_count for tier in tiers)
        result = await self._connection.execute(
            insert(Schedule)
            .values(concert_id=concert_id, starts_at=starts_at, total_seats=total, created_at=now)
            .returning(Schedule.id)
        )
        schedule_id = int(result.scalar_one())
        # A tier's seats in one statement, numbered by the database: row by row, a 100,000-seat
        # date took PostgreSQL past the request's 5 s deadline (~65 µs a seat; review, 2026-12-07).
        for first, last, section, price in domain.number_seats(tiers):
            await self._connection.execute(
                _SEAT_RUN,
                {
                    "schedule_id": schedule_id,
                    "first": first,
                    "last": last,
                    "section": section,
                    "price": price,
                },
            )
        return domain.Schedule(schedule_id, concert_id, starts_at, total, total)

    async def schedules(self, concert_id: int, now: datetime) -> list[domain.Schedule]:
        available = (
            select(func.count())
            .where(Seat.schedule_id == Schedule.id, seat_is_free(now))
            .correlate(Schedule)
            .scalar_subquery()
        )
        rows = (
            await self._connection.execute(
                select(Schedule, available.label("available_seats"))
                .where(Schedule.concert_id == concert_id)
                .order_by(Schedule.starts_at, Schedule.id)
            )
        ).all()
        return [
            domain.Schedule(r.id, r.concert_id, r.starts_at, r.total_seats, r.available_seats)
            for r in rows
        ]

    async def schedule_concert(self, schedule_id: int) -> int | None:
        """The concert a date belongs to (fixed when the date is created)."""
        result = await self._connection.execute(
            select(Schedule.concert_id).where(Schedule.id == schedule_id)
        )
        return result.scalar_one_or_none()

    async def schedule_starts_at(self, schedule_id: int) -> datetime | None:
        result = await self._connection.execute(
            select(Schedule.starts_at).where(Schedule.id == schedule_id)
        )
        return result.scalar_one_or_none()

    async def seat_layout(self, schedule_id: int) -> list[tuple[int, int, str, int]]:
        """(id, number, section, price) of a date's seats by number: facts fixed at creation."""
        rows = await self._connection.execute(
            select(Seat.id, Seat.number, Seat.section, Seat.price)
            .where(Seat.schedule_id == schedule_id)
            .order_by(Seat.number)
        )
        return [(seat_id, number, section, price) for seat_id, number, section, price in rows]

    async def taken_seats(
        self, schedule_id: int, now: datetime
    ) -> dict[domain.SeatStatus, list[int]]:
        """The numbers of a date's seats that are not free now, by state: sold, or held."""
        # One row per state with its numbers joined in one string: a map can list thousands
        # of taken seats, and reading a row each cost ~4 ms a map of 2,500 taken seats.
        numbers = func.aggregate_strings(cast(Seat.number, String), ",")
        rows = await self._connection.execute(
            select(Seat.status, numbers)
            .where(Seat.schedule_id == schedule_id, not_(seat_is_free(now)))
            .group_by(Seat.status)
        )
        # Not free now means sold, or held until later: the stored state is the state shown.
        return {
            domain.SeatStatus(stored): list(map(int, joined.split(","))) for stored, joined in rows
        }

    async def existing_seat_numbers(self, schedule_id: int, numbers: Sequence[int]) -> set[int]:
        rows = await self._connection.execute(
            select(Seat.number).where(Seat.schedule_id == schedule_id, Seat.number.in_(numbers))
        )
        return {int(n) for n in rows.scalars()}
