"""Catalog use cases: browse dates and seats; the admin creates concerts and dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from boxoffice.catalog import domain
from boxoffice.catalog.exceptions import ConcertNotFound, ScheduleNotFound
from boxoffice.catalog.seat_map import SeatLayout, SeatLayouts, SeatMap

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWork


async def list_concerts(uow: UnitOfWork) -> list[domain.Concert]:
    """Every concert, oldest first."""
    return await uow.catalog.concerts()


async def list_schedules(
    uow: UnitOfWork, concert_id: int, now: datetime, *, include_closed: bool
) -> list[domain.Schedule]:
    """The reservable dates of a concert (all of them with `include_closed`)."""
    if await uow.catalog.concert(concert_id) is None:
        raise ConcertNotFound(f"There is no concert {concert_id}.")
    schedules = await uow.catalog.schedules(concert_id, now)
    if include_closed:
        return schedules
    return [s for s in schedules if domain.is_on_sale(s.starts_at, now) and s.available_seats > 0]


async def seat_map(
    uow: UnitOfWork, schedule_id: int, now: datetime, layouts: SeatLayouts
) -> SeatMap:
    """A date's seats by number with their state as of now, as the JSON list the API answers.

    The seats' fixed facts are read once per process (`layouts`); each map reads only the seats
    that are taken now.
    """
    layout = await seat_layout(uow, schedule_id, layouts)
    return SeatMap(layout, await uow.catalog.taken_seats(schedule_id, now))


async def seat_layout(uow: UnitOfWork, schedule_id: int, layouts: SeatLayouts) -> SeatLayout:
    """A date's seats' fixed facts (number, section, price), read once per process."""
    layout = layouts.get(schedule_id)
    if layout is None:
        seats = await uow.catalog.seat_layout(schedule_id)
        if not seats and await uow.catalog.schedule_starts_at(schedule_id) is None:
            raise ScheduleNotFound(f"There is no date {schedule_id}.")
        layout = layouts.put(schedule_id, SeatLayout(seats))
    return layout


async def create_concert(
    uow: UnitOfWork, title: str, venue: str, description: str, now: datetime
) -> domain.Concert:
    """Add a concert with no dates yet."""
    return await uow.catalog.add_concert(title, venue, description, now)


async def add_schedule(
    uow: UnitOfWork,
    concert_id: int,
    starts_at: datetime,
    tiers: Sequence[domain.PriceTier],
    now: datetime,
) -> domain.Schedule:
    """Add a date with its seats numbered 1..n across the price tiers."""
    if await uow.catalog.concert(concert_id) is None:
        raise ConcertNotFound(f"There is no concert {concert_id}.")
    return await uow.catalog.add_schedule(concert_id, starts_at, tiers, now)
