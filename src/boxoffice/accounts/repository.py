"""SQL for accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from boxoffice.accounts.models import UserAccount
from boxoffice.platform.database import OnDemandConnection


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    password_hash: str


class AccountRepository:
    def __init__(self, connection: OnDemandConnection) -> None:
        self._connection = connection

    async def add(self, username: str, password_hash: str, now: datetime) -> int | None:
        """The new account's id, or None when the username is taken."""
        try:
            async with self._connection.begin_nested():
                result = await self._connection.execute(
                    insert(UserAccount)
                    .values(username=username, password_hash=password_hash, created_at=now)
                    .returning(UserAccount.id)
                )
                return int(result.scalar_one())
        except IntegrityError:
            return None

    async def by_username(self, username: str) -> Account | None:
        row = (
            await self._connection.execute(
                select(UserAccount.id, UserAccount.username, UserAccount.password_hash).where(
                    UserAccount.username == username
                )
            )
        ).one_or_none()
        return None if row is None else Account(row.id, row.username, row.password_hash)

    async def replace_hash(self, account_id: int, old_hash: str, new_hash: str) -> None:
        """The account's password hash `new_hash`, if it is still `old_hash` (so that a hash
        made anew by one log-in never overwrites another change made meanwhile)."""
        await self._connection.execute(
            update(UserAccount)
            .where(UserAccount.id == account_id, UserAccount.password_hash == old_hash)
            .values(password_hash=new_hash)
        )
