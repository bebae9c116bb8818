"""Rooms for the contract suite: handles onto one waiting room, in memory or in Redis.

Redis runs at `BOXOFFICE_TEST_REDIS_URL`, else on the local database 15. When that variable is set
an unreachable Redis fails the test; without it, the Redis variants are skipped.
"""

from __future__ import annotations

import os
import uuid
from typing import Protocol

import pytest
from redis.exceptions import RedisError

from boxoffice.waiting_room.domain import QueuePolicy
from boxoffice.waiting_room.store import WaitingRoomStore
from boxoffice.waiting_room.store_memory import MemoryWaitingRoomStore
from boxoffice.waiting_room.store_redis import RedisWaitingRoomStore
from tests.servers import drop_room_async

REDIS_URL = os.environ.get("BOXOFFICE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
REDIS_REQUIRED = bool(os.environ.get("BOXOFFICE_TEST_REDIS_URL"))

# Generous unless a test says otherwise: 100 slots, a burst of 500.
DEFAULT_POLICY = QueuePolicy(
    max_active=100, admit_per_minute=6000, active_ttl_seconds=600, claim_seconds=60
)


class OpenStore(Protocol):
    """Opens a handle onto the test's room (in Redis, a second handle is another instance)."""

    async def __call__(self, policy: QueuePolicy = DEFAULT_POLICY) -> WaitingRoomStore: ...


class MemoryRoom:
    """The in-process store is one room per process: every handle is the same store."""

    def __init__(self) -> None:
        self._store: MemoryWaitingRoomStore | None = None

    async def open(self, policy: QueuePolicy) -> WaitingRoomStore:
        if self._store is None:
            self._store = MemoryWaitingRoomStore(policy)
        return self._store

    async def drop(self) -> None:
        self._store = None


class RedisRoom:
    """A room of its own name in the test Redis; each handle is a store with its own pool,
    as each app instance has. `drop` closes them and deletes the room's keys."""

    def __init__(self, url: str = REDIS_URL) -> None:
        self.url = url
        self.name = f"test-{uuid.uuid4().hex}"
        self._stores: list[RedisWaitingRoomStore] = []

    async def open(self, policy: QueuePolicy) -> WaitingRoomStore:
        store = RedisWaitingRoomStore.from_url(
            self.url, room=self.name, default_policy=policy, pool_size=8
        )
        self._stores.append(store)
        if len(self._stores) == 1:
            await self._reachable(store)
        return store

    async def _reachable(self, store: RedisWaitingRoomStore) -> None:
        # Checked inside the test, so that a missing Redis is that test's failure (or skip).
        try:
            await store.ping()
        except (RedisError, OSError) as error:
            await self.drop()
            message = f"Redis at {self.url} does not answer: {error!r}"
            if REDIS_REQUIRED:
                pytest.fail(message)
            pytest.skip(f"{message} (set BOXOFFICE_TEST_REDIS_URL to require it)")

    async def drop(self) -> None:
        stores, self._stores = self._stores, []
        for store in stores:
            await store.close()
        if not stores:
            return
        await drop_room_async(self.url, self.name)
