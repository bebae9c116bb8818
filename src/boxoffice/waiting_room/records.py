"""What the waiting room asks of the SQL database: the passes that must not come back, and
which concerts have a line of their own (`lines.py`).

The store (Redis, or this process's memory) holds the line; the SQL database outlives it. When
the store is lost, a signed pass may put its fan back at their place (`WaitingRoom`), unless
the fan gave it up (written here when they leave) or used it up (known from their payments).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from boxoffice.waiting_room.domain import PassPlace
from boxoffice.waiting_room.lines import Line, LineSet

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory


class PassRecords(Protocol):
    async def record_left(self, user_id: int, pass_id: str, now: float) -> None:
        """Note, durably, that the fan gave this pass up."""
        ...

    async def spent(self, place: PassPlace, line: Line, lines: LineSet) -> bool:
        """Whether the pass (of `line`) was given up or used up: then it never comes back."""
        ...


class SqlPassRecords:
    """PassRecords in the service's SQL database, each call its own short unit of work."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work

    async def record_left(self, user_id: int, pass_id: str, now: float) -> None:
        # One statement, atomic by itself: on PostgreSQL it commits as it runs, sparing the
        # BEGIN and COMMIT round trips a transaction would take (a fan leaving the line does
        # this, so a sale does it nearly once a ticket).
        async with self._unit_of_work(autocommit=True) as uow:
            await uow.passes.record_left(user_id, pass_id, datetime.fromtimestamp(now, UTC))
            await uow.commit()

    async def spent(self, place: PassPlace, line: Line, lines: LineSet) -> bool:
        # Given up; or its fan paid since it joined for a concert of its line: a payment uses
        # up the fan's one live pass of the line covering the reservation, so a pass older than
        # such a payment is used up or had ended before. (A payment in another line uses up
        # that line's pass only.)
        joined_at = datetime.fromtimestamp(place.joined_at, UTC)
        only, excluding = ([line], ()) if line is not None else (None, lines.own)
        async with self._unit_of_work(readonly=True) as uow:
            return await uow.passes.left(place.pass_id) or await uow.payments.paid_since(
                place.user_id, joined_at, only=only, excluding=excluding
            )


class SqlLineRecords:
    """LineRecords in the service's SQL database, each call its own short unit of work."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work

    async def read(self) -> LineSet:
        async with self._unit_of_work(readonly=True) as uow:
            found = await uow.lines.lines()
        since = {concert: at.timestamp() for concert, at in found if at is not None}
        return LineSet(
            own=frozenset(concert for concert, _ in found),
            closing_since=since,
        )

    async def open(self, concert_id: int, now: float) -> None:
        async with self._unit_of_work() as uow:
            await uow.lines.open(concert_id, datetime.fromtimestamp(now, UTC))
            await uow.commit()

    async def close(self, concert_id: int, now: float) -> None:
        async with self._unit_of_work() as uow:
            await uow.lines.close(concert_id, datetime.fromtimestamp(now, UTC))
            await uow.commit()

    async def end(self, concert_id: int) -> None:
        async with self._unit_of_work() as uow:
            await uow.lines.end(concert_id)
            await uow.commit()
