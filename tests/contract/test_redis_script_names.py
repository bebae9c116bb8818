"""`RedisWaitingRoomStore.script_names` names the scripts Redis really runs for a room, by the SHA1
that EVALSHA (and so SLOWLOG) shows: the store benchmark labels Redis's slow log with it.

Redis runs where tests/contract/rooms.py says: when BOXOFFICE_TEST_REDIS_URL is set, an
unreachable Redis fails the test; without it, the test is skipped.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from boxoffice.platform.rate_limit import NO_PACE, Limit, RedisRateLimiter
from boxoffice.waiting_room.store_redis import RedisWaitingRoomStore
from tests.contract.rooms import DEFAULT_POLICY, RedisRoom


async def _loaded(url: str, shas: list[str]) -> list[bool]:
    client = Redis.from_url(url)
    try:
        return [bool(found) for found in await client.script_exists(*shas)]
    finally:
        await client.aclose()


async def test_each_script_run_on_a_room_is_named_by_its_sha() -> None:
    room = RedisRoom()
    store = await room.open(DEFAULT_POLICY)
    assert isinstance(store, RedisWaitingRoomStore)
    limiter = RedisRateLimiter.from_url(room.url, room=room.name, pool_size=1)
    try:
        now = time.time()
        await store.join(1, "p" * 22, now)
        await store.view("p" * 22, now)
        limit = Limit.per_minute("join:127.0.0.1", 5)
        await limiter.check(NO_PACE, [limit], now)
        await limiter.give_back(limit, now)
        names = store.script_names()
        by_name = {name: sha for sha, name in names.items()}
        ran = ["join", "view", "rate-limit check", "rate-limit give back"]
        assert set(ran) <= set(by_name)
        # Redis knows each of them by that sha: it is the one EVALSHA sent.
        assert await _loaded(room.url, [by_name[name] for name in ran]) == [True] * len(ran)
        assert {"poll", "leave", "admit", "policy", "stats", "restore"} <= set(by_name)
        assert len(names) == len(set(by_name))  # no two scripts share a name
    finally:
        await limiter.close()
        await room.drop()
