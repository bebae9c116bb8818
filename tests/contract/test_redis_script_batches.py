"""The Redis store's script calls asked for together go as one pipeline (platform/redis_batching.py)
and answer exactly as the same calls made one by one; a script Redis forgot is loaded again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from boxoffice.waiting_room.store_redis import RedisWaitingRoomStore
from tests.contract.helpers import T0, join_fans, policy
from tests.contract.rooms import DEFAULT_POLICY, RedisRoom
from tests.faults.own_redis import OwnRedis
from tests.servers import drop_room_async

FANS = 12


def _batched_calls() -> float:
    labels = {"statement": "redis_scripts"}
    return REGISTRY.get_sample_value("boxoffice_batch_size_sum", labels) or 0.0


def _batches() -> float:
    labels = {"statement": "redis_scripts"}
    return REGISTRY.get_sample_value("boxoffice_batch_size_count", labels) or 0.0


async def test_calls_asked_together_answer_as_calls_asked_one_by_one(redis_room: RedisRoom) -> None:
    store = await redis_room.open(policy(max_active=FANS // 2))
    pass_ids = await join_fans(store, FANS)
    await store.admit(T0 + 5)  # half the fans active, the rest waiting: both kinds of answer
    at = T0 + 6
    one_by_one = [await store.view(pass_id, at) for pass_id in pass_ids]
    calls, batches = _batched_calls(), _batches()
    together = await asyncio.gather(*(store.view(pass_id, at) for pass_id in pass_ids))
    assert together == one_by_one
    assert {view.status for view in together if view is not None} == {"ACTIVE", "WAITING"}
    # All of them in one pipeline.
    assert (_batched_calls() - calls, _batches() - batches) == (FANS, 1)


async def test_rooms_over_one_client_share_its_batches(redis_room: RedisRoom) -> None:
    store = await redis_room.open(DEFAULT_POLICY)
    assert isinstance(store, RedisWaitingRoomStore)
    other = store.for_room(f"{redis_room.name}-other")
    try:
        (first,) = await join_fans(store, 1)
        (second,) = await join_fans(other, 1, first_user=2)
        calls, batches = _batched_calls(), _batches()
        views = await asyncio.gather(store.view(first, T0 + 1), other.view(second, T0 + 1))
        assert [view.pass_id if view else None for view in views] == [first, second]
        assert (_batched_calls() - calls, _batches() - batches) == (2, 1)
        assert await store.view(second, T0 + 1) is None  # the rooms stay apart
    finally:
        await other.close()
        await drop_room_async(redis_room.url, f"{redis_room.name}-other")  # not the fixture's


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    # SCRIPT FLUSH empties a server's scripts for everyone: never the shared Redis.
    server = OwnRedis(persistent=False)
    server.start()
    try:
        yield server
    finally:
        server.close()


def _forget_scripts(server: OwnRedis) -> None:
    with server.client() as client:
        client.script_flush()


async def test_scripts_redis_forgot_are_loaded_again_for_a_batch(own_redis: OwnRedis) -> None:
    store = RedisWaitingRoomStore.from_url(
        own_redis.url, room="forgetful", default_policy=DEFAULT_POLICY, pool_size=4
    )
    try:
        pass_ids = await join_fans(store, 4)
        _forget_scripts(own_redis)
        views = await asyncio.gather(*(store.view(pass_id, T0 + 1) for pass_id in pass_ids))
        assert [view.pass_id if view else None for view in views] == pass_ids
        _forget_scripts(own_redis)
        (alone,) = await asyncio.gather(store.view(pass_ids[0], T0 + 1))
        assert alone is not None
        assert alone.pass_id == pass_ids[0]
    finally:
        await store.close()
