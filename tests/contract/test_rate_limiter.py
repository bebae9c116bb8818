"""The contract of `RateLimiter`: the same behaviours on this process's memory and on Redis.

The Redis adapter keeps time with key TTLs on the Redis server and ignores `now`, so on Redis
short windows and paces run out on the server's clock while the test checks again and again
(`Limiters.wait_out`); the memory adapter follows the `now` it is given, so there time moves by
hand. tests/unit/test_rate_limit.py holds the memory adapter to exact arithmetic on `now`.
Redis runs where tests/contract/rooms.py says: when BOXOFFICE_TEST_REDIS_URL is set, an
unreachable Redis fails the test; without it, the Redis variants are skipped.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from boxoffice.platform.rate_limit import (
    NO_PACE,
    Limit,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from tests.contract.rooms import REDIS_REQUIRED, REDIS_URL
from tests.servers import drop_room_async

MINUTE = 60.0
# A window or pace that a test waits out. On Redis the checks a test makes inside one must all
# land before it ends: they are a few round trips of a millisecond or so, so two seconds leave a
# loaded machine room to stall a thousandfold (at half a second, one stall could end one early).
SHORT = 2.0
# How long past the wait it named a refusal may stay in force on Redis before the test fails.
PATIENCE = 5.0
# Redis counts a TTL in whole milliseconds from when it answered, and its clock is not this one:
# it reads the time once per turn of its event loop (and once per script), so under load a TTL
# can read tens of milliseconds long (seen: a 2 s pace passed 10+ ms before its wait was over).
TTL_SLACK = 0.05


class Limiters:
    """Opens limiter instances onto one store of limits: a fresh memory, or one Redis room."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.room = f"test-{uuid.uuid4().hex}"
        self._opened: list[RateLimiter] = []
        self._now = time.time()

    def now(self) -> float:
        return self._now if self.kind == "memory" else time.time()

    async def wait_out(self, limiter: RateLimiter, pace_key: str, *limits: Limit) -> float:
        """Time goes by until a refused request passes: moved by hand for memory; on Redis the
        TTLs run out on the server while this checks every 20 ms. The request must be refused
        until the wait its first refusal named is over, and pass no later than PATIENCE after.
        The check that passes is counted, as any other; returns `time.monotonic()` from just
        before it was sent."""
        sent = time.monotonic()
        wait = await self.check(limiter, pace_key, *limits)
        assert wait > 0, "nothing to wait out"
        if self.kind == "memory":
            self._now += wait - 0.001
            assert await self.check(limiter, pace_key, *limits) > 0, "ended early"
            self._now += 0.002
            last_sent = time.monotonic()
            assert await self.check(limiter, pace_key, *limits) == 0.0, "did not end"
            return last_sent
        while True:
            last_sent = time.monotonic()
            if await self.check(limiter, pace_key, *limits) == 0.0:
                break
            assert last_sent - sent < wait + PATIENCE, f"not over {PATIENCE} s after"
            await asyncio.sleep(0.02)
        # A slow machine only makes the pass come later, never sooner.
        assert time.monotonic() - sent >= wait - TTL_SLACK, "ended early"
        return last_sent

    async def check(self, limiter: RateLimiter, pace_key: str, *limits: Limit) -> float:
        return await limiter.check(pace_key, list(limits), self.now())

    async def open(self) -> RateLimiter:
        """Another instance; on Redis, another client with its own pool, as each process has."""
        if self.kind == "memory":
            limiter: RateLimiter = MemoryRateLimiter()
        else:
            limiter = RedisRateLimiter.from_url(REDIS_URL, room=self.room, pool_size=4)
        self._opened.append(limiter)
        if len(self._opened) == 1 and self.kind == "redis":
            await self._reachable()
        return limiter

    async def _reachable(self) -> None:
        client = Redis.from_url(REDIS_URL)
        try:
            await client.ping()
        except (RedisError, OSError) as error:
            message = f"Redis at {REDIS_URL} does not answer: {error!r}"
            if REDIS_REQUIRED:
                pytest.fail(message)
            pytest.skip(f"{message} (set BOXOFFICE_TEST_REDIS_URL to require it)")
        finally:
            await client.aclose()

    async def drop(self) -> None:
        opened, self._opened = self._opened, []
        for limiter in opened:
            await limiter.close()
        if self.kind != "redis" or not opened:
            return
        await drop_room_async(REDIS_URL, self.room)


def assert_in_force(wait: float, seconds: float, since: float) -> None:
    """`wait` refuses a request by a window or pace of `seconds` that began after `since` (a
    `time.monotonic()`): it names what is left of it, which is all of it but the time gone by
    since. A slow machine only lowers that floor, so this holds however long the checks took."""
    assert 0 < wait <= seconds
    assert wait >= seconds - (time.monotonic() - since) - TTL_SLACK, (wait, seconds)


@pytest.fixture(params=["memory", "redis"])
async def limiters(request: pytest.FixtureRequest) -> AsyncIterator[Limiters]:
    handle = Limiters(request.param)
    yield handle
    await handle.drop()


@pytest.fixture
async def redis_limiters() -> AsyncIterator[Limiters]:
    handle = Limiters("redis")
    yield handle
    await handle.drop()


async def test_requests_up_to_the_limit_pass_and_the_next_waits_out_the_window(
    limiters: Limiters,
) -> None:
    limiter = await limiters.open()
    limit = Limit("join:user:1", 3, MINUTE)

    assert [await limiters.check(limiter, NO_PACE, limit) for _ in range(3)] == [0.0] * 3
    wait = await limiters.check(limiter, NO_PACE, limit)

    assert MINUTE - 5 < wait <= MINUTE
    assert MINUTE - 5 < await limiters.check(limiter, NO_PACE, limit) <= MINUTE


async def test_the_window_resets_when_it_ends(limiters: Limiters) -> None:
    limiter = await limiters.open()
    limit = Limit("status:user:1", 2, SHORT)
    opened = time.monotonic()
    assert await limiters.check(limiter, NO_PACE, limit) == 0.0
    assert await limiters.check(limiter, NO_PACE, limit) == 0.0
    assert_in_force(await limiters.check(limiter, NO_PACE, limit), SHORT, opened)

    # Refused until the window is over; then the first request of a new window passes...
    reopened = await limiters.wait_out(limiter, NO_PACE, limit)

    # ... and the new window has a fresh count: one more request passes, the next is refused.
    assert await limiters.check(limiter, NO_PACE, limit) == 0.0
    assert_in_force(await limiters.check(limiter, NO_PACE, limit), SHORT, reopened)


async def test_counters_are_per_key(limiters: Limiters) -> None:
    limiter = await limiters.open()
    first, second = Limit("join:user:1", 1, MINUTE), Limit("join:user:2", 1, MINUTE)
    assert await limiters.check(limiter, NO_PACE, first) == 0.0
    assert await limiters.check(limiter, NO_PACE, first) > 0
    assert await limiters.check(limiter, NO_PACE, second) == 0.0


async def test_a_refused_request_counts_nothing_after_the_limit_that_refused_it(
    limiters: Limiters,
) -> None:
    limiter = await limiters.open()
    tight, loose = Limit("join:user:1", 1, MINUTE), Limit("ip:10.0.0.1", 3, MINUTE)
    assert await limiters.check(limiter, NO_PACE, tight, loose) == 0.0
    for _ in range(5):
        assert await limiters.check(limiter, NO_PACE, tight, loose) > 0
    assert await limiters.check(limiter, NO_PACE, loose) == 0.0
    assert await limiters.check(limiter, NO_PACE, loose) == 0.0
    assert await limiters.check(limiter, NO_PACE, loose) > 0


async def test_a_paced_client_waits_until_the_pace_ends(limiters: Limiters) -> None:
    limiter = await limiters.open()
    paced_at = time.monotonic()
    await limiter.pace("pace:1", SHORT, limiters.now())

    assert_in_force(await limiters.check(limiter, "pace:1"), SHORT, paced_at)
    assert await limiters.check(limiter, "pace:2") == 0.0
    await limiters.wait_out(limiter, "pace:1")


async def test_pacing_again_replaces_the_earlier_pace(limiters: Limiters) -> None:
    limiter = await limiters.open()
    await limiter.pace("pace:1", MINUTE, limiters.now())
    paced_again_at = time.monotonic()
    await limiter.pace("pace:1", SHORT, limiters.now())
    assert_in_force(await limiters.check(limiter, "pace:1"), SHORT, paced_again_at)
    await limiters.wait_out(limiter, "pace:1")


async def test_a_paced_request_is_refused_before_any_counter_counts_it(
    limiters: Limiters,
) -> None:
    limiter = await limiters.open()
    limit = Limit("status:user:1", 2, MINUTE)
    # Paced for a minute, so that each of the ten checks meets the pace however slow they are.
    await limiter.pace("pace:1", MINUTE, limiters.now())
    for _ in range(10):
        assert 0 < await limiters.check(limiter, "pace:1", limit) <= MINUTE

    # A short pace replaces it (as the test above shows), waited out by checks that name no
    # counter, so that nothing but the ten refused polls could have touched the account's.
    await limiter.pace("pace:1", SHORT, limiters.now())
    await limiters.wait_out(limiter, "pace:1")

    # None of the ten refused polls used the window: both of its requests are still there.
    assert await limiters.check(limiter, "pace:1", limit) == 0.0
    assert await limiters.check(limiter, "pace:1", limit) == 0.0
    assert await limiters.check(limiter, "pace:1", limit) > 0


async def test_no_pace_is_never_paced(limiters: Limiters) -> None:
    limiter = await limiters.open()
    assert await limiters.check(limiter, NO_PACE) == 0.0
    assert await limiters.check(limiter, NO_PACE, Limit("ip:10.0.0.1", 1, MINUTE)) == 0.0


async def test_instances_on_one_redis_share_counters_and_paces(
    redis_limiters: Limiters,
) -> None:
    first, second = await redis_limiters.open(), await redis_limiters.open()
    limit = Limit("join:user:1", 3, MINUTE)

    assert await redis_limiters.check(first, NO_PACE, limit) == 0.0
    assert await redis_limiters.check(second, NO_PACE, limit) == 0.0
    assert await redis_limiters.check(first, NO_PACE, limit) == 0.0
    # The fourth request is refused whichever instance gets it.
    assert await redis_limiters.check(second, NO_PACE, limit) > 0
    assert await redis_limiters.check(first, NO_PACE, limit) > 0

    await first.pace("pace:1", MINUTE, redis_limiters.now())
    assert MINUTE - 5 < await redis_limiters.check(second, "pace:1") <= MINUTE


async def test_concurrent_requests_on_two_instances_never_pass_more_than_the_limit(
    redis_limiters: Limiters,
) -> None:
    first, second = await redis_limiters.open(), await redis_limiters.open()
    limit = Limit("ip:10.0.0.1", 25, MINUTE)

    instances = [first, second] * 40
    waits = await asyncio.gather(
        *(redis_limiters.check(instance, NO_PACE, limit) for instance in instances)
    )

    assert sum(wait == 0.0 for wait in waits) == 25


async def test_rooms_do_not_share_limits(redis_limiters: Limiters) -> None:
    mine = await redis_limiters.open()
    other_room = Limiters("redis")
    try:
        theirs = await other_room.open()
        limit = Limit("join:user:1", 1, MINUTE)
        assert await redis_limiters.check(mine, NO_PACE, limit) == 0.0
        assert await redis_limiters.check(mine, NO_PACE, limit) > 0
        assert await redis_limiters.check(theirs, NO_PACE, limit) == 0.0
    finally:
        await other_room.drop()
