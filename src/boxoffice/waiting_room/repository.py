"""SQL for queue passes (which were given up, for restoring a lost line) and for which
concerts have a line of their own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from boxoffice.platform.database import OnDemandConnection
from boxoffice.waiting_room.models import QueueLine, QueuePassLeft

# Built once: a statement made afresh each call cost more CPU than running it (a fan leaving
# the line writes one, so a sale runs it nearly once a ticket). Values come as parameters.
_RECORD_LEFT = {
    "postgresql": postgresql.insert(QueuePassLeft).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(QueuePassLeft).on_conflict_do_nothing(),
}


class PassRecordRepository:
    def __init__(self, connection: OnDemandConnection) -> None:
        self._connection = connection

    async def record_left(self, user_id: int, pass_id: str, at: datetime) -> None:
        """Note that the fan gave the pass up (once; a second note changes nothing)."""
        await self._connection.execute(
            _RECORD_LEFT[self._connection.dialect.name],
            {"pass_id": pass_id, "user_id": user_id, "left_at": at},
        )

    async def left(self, pass_id: str) -> bool:
        """Whether the fan gave the pass up."""
        found = await self._connection.execute(
            select(exists().where(QueuePassLeft.pass_id == pass_id))
        )
        return bool(found.scalar_one())


class LineRepository:
    """SQL for the concerts that have a line of their own."""

    def __init__(self, connection: OnDemandConnection) -> None:
        self._connection = connection

    async def lines(self) -> list[tuple[int, datetime | None]]:
        """Every concert line, as (concert id, when it began closing or None)."""
        found = await self._connection.execute(
            select(QueueLine.concert_id, QueueLine.closing_since)
        )
        return [(int(concert_id), closing_since) for concert_id, closing_since in found]

    async def open(self, concert_id: int, at: datetime) -> None:
        """Give the concert its own line, or keep a closing one open after all."""
        dialect = postgresql if self._connection.dialect.name == "postgresql" else sqlite
        await self._connection.execute(
            dialect.insert(QueueLine)
            .values(concert_id=concert_id, opened_at=at, closing_since=None)
            .on_conflict_do_update(index_elements=["concert_id"], set_={"closing_since": None})
        )

    async def close(self, concert_id: int, at: datetime) -> None:
        """Let no one join the concert's line from now on (it ends once empty)."""
        await self._connection.execute(
            update(QueueLine)
            .where(QueueLine.concert_id == concert_id, QueueLine.closing_since.is_(None))
            .values(closing_since=at)
        )

    async def end(self, concert_id: int) -> None:
        """The closing line is empty: the concert is the house line's again."""
        await self._connection.execute(
            delete(QueueLine).where(
                QueueLine.concert_id == concert_id, QueueLine.closing_since.is_not(None)
            )
        )
