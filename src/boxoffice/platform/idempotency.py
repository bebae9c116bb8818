"""Idempotency keys: the first result of a money-moving request, stored with its effect.

The record is claimed with an INSERT at the start of the same transaction as the effect, so a
concurrent request with the same key waits on the unique key and then replays the stored result;
a failed request rolls its claim back and changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from boxoffice.platform.database import OnDemandConnection
from boxoffice.platform.errors import IdempotencyKeyReused
from boxoffice.platform.idempotency_models import IdempotencyRecord


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: bytes
    # True for a key's first answer given again: nothing was done this time (metrics count
    # only what moved).
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A request's Idempotency-Key (None: the client sent none) and its fingerprint."""

    key: str | None
    fingerprint: str


def request_fingerprint(method: str, path: str, payload: object) -> str:
    """A hash of what the request asks for; the same key with another fingerprint is refused."""
    canonical = orjson.dumps([method, path, payload], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


class IdempotencyRepository:
    def __init__(self, connection: OnDemandConnection) -> None:
        self._connection = connection

    async def claim(
        self, user_id: int, key: str, fingerprint: str, now: datetime
    ) -> StoredResponse | None:
        """None if this request is the first with the key; else the first one's stored result."""
        insert = pg_insert if self._connection.dialect.name == "postgresql" else sqlite_insert
        inserted = await self._connection.execute(
            insert(IdempotencyRecord)
            .values(
                user_id=user_id,
                key=key,
                request_hash=fingerprint,
                status_code=0,
                response_body=b"",
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(IdempotencyRecord.user_id)
        )
        if inserted.first() is not None:
            return None
        stored = await self.stored(user_id, key, fingerprint)
        assert stored is not None, "the conflicting record is committed before we read it"
        return stored

    async def stored(self, user_id: int, key: str, fingerprint: str) -> StoredResponse | None:
        """The stored result for the key, if any; the key with another request is refused."""
        row = (
            await self._connection.execute(
                select(
                    IdempotencyRecord.request_hash,
                    IdempotencyRecord.status_code,
                    IdempotencyRecord.response_body,
                ).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
            )
        ).one_or_none()
        if row is None:
            return None
        if row.request_hash != fingerprint:
            raise IdempotencyKeyReused()
        return StoredResponse(int(row.status_code), bytes(row.response_body), replayed=True)

    async def store(self, user_id: int, key: str, response: StoredResponse) -> None:
        await self._connection.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
            .values(status_code=response.status_code, response_body=response.body)
        )


async def run_idempotent(
    repository: IdempotencyRepository,
    user_id: int,
    idempotency: Idempotency,
    now: datetime,
    action: Callable[[], Awaitable[StoredResponse]],
) -> StoredResponse:
    """Run `action` once per key; replay its stored result for a repeat. Caller commits."""
    key = idempotency.key
    if key is None:
        return await action()
    replay = await repository.claim(user_id, key, idempotency.fingerprint, now)
    if replay is not None:
        return replay
    response = await action()
    await repository.store(user_id, key, response)
    return response
