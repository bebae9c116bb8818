"""The contract suite runs every test on each waiting-room store: memory and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from boxoffice.waiting_room.domain import QueuePolicy
from boxoffice.waiting_room.store import WaitingRoomStore
from tests.contract.rooms import DEFAULT_POLICY, MemoryRoom, OpenStore, RedisRoom


@pytest.fixture(params=["memory", "redis"])
async def open_store(request: pytest.FixtureRequest) -> AsyncIterator[OpenStore]:
    room = MemoryRoom() if request.param == "memory" else RedisRoom()

    async def open_handle(policy: QueuePolicy = DEFAULT_POLICY) -> WaitingRoomStore:
        return await room.open(policy)

    yield open_handle
    await room.drop()


@pytest.fixture
async def redis_room() -> AsyncIterator[RedisRoom]:
    room = RedisRoom()
    yield room
    await room.drop()
