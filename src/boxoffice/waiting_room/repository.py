"""SQL for queue passes: which were given up, for restoring a lost line."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.waiting_room.models import QueuePassLeft


class PassRecordRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def record_left(self, user_id: int, pass_id: str, at: datetime) -> None:
        """Note that the fan gave the pass up (once; a second note changes nothing)."""
        dialect = postgresql if self._connection.dialect.name == "postgresql" else sqlite
        await self._connection.execute(
            dialect.insert(QueuePassLeft)
            .values(pass_id=pass_id, user_id=user_id, left_at=at)
            .on_conflict_do_nothing()
        )

    async def left(self, pass_id: str) -> bool:
        """Whether the fan gave the pass up."""
        found = await self._connection.execute(
            select(exists().where(QueuePassLeft.pass_id == pass_id))
        )
        return bool(found.scalar_one())
