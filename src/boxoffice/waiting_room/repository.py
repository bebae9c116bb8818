"""SQL for queue passes: which were given up or used up, for restoring a lost line."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.payments.models import Payment
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

    async def spent(self, user_id: int, pass_id: str, joined_at: datetime) -> bool:
        """Whether the pass was given up, or its fan paid for anything since it joined: a
        payment uses up the one live pass its fan holds, so a pass older than a payment of
        its fan's is used up or had ended before."""
        left = exists().where(QueuePassLeft.pass_id == pass_id)
        paid = exists().where(Payment.user_id == user_id, Payment.paid_at >= joined_at)
        return bool((await self._connection.execute(select(or_(left, paid)))).scalar_one())
