"""The contract of `WaitingRoomStore.poll`: limits, the pass and the pace in one step; and of a
join's limits, counted in the join's own step.

Each store is opened with the rate limiter the service gives it (the process's own in memory; in
Redis, the limiter's keys of the same room), so a join counted by the limiter and a poll counted
by the store land on the same counters. The store's `now` is the scenario's time; the Redis
limiter keeps time with key TTLs on the server, so there a test ends a pace by putting a pace of a
millisecond in its place and checking until it has run out (`PollRoom.end_pace`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from boxoffice.platform.rate_limit import (
    NO_PACE,
    Limit,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from boxoffice.waiting_room.domain import (
    MAX_POLL_SECONDS,
    Advice,
    PassStatus,
    PassView,
    QueuePolicy,
    advise,
    claim_deadline,
)
from boxoffice.waiting_room.store import PollGuard, Refused, WaitingRoomStore
from boxoffice.waiting_room.store_memory import MemoryWaitingRoomStore
from tests.contract.helpers import T0, join_fans, policy
from tests.contract.rooms import DEFAULT_POLICY, REDIS_URL, RedisRoom

MINUTE = 60.0
PATIENCE = 5.0  # how long a test waits for a one-millisecond pace to run out in Redis
NOT_PACED = PollGuard(limits=())


def paced(user_id: int, ratio: float, *limits: Limit) -> PollGuard:
    return PollGuard(limits=limits, pace_key=f"pace:{user_id}", pace_ratio=ratio)


class PollRoom:
    """A waiting room with the rate limiter it shares its counters with."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._redis = RedisRoom()
        self.limiter: RateLimiter = MemoryRateLimiter()

    async def open(self, room_policy: QueuePolicy = DEFAULT_POLICY) -> WaitingRoomStore:
        if self.kind == "memory":
            assert isinstance(self.limiter, MemoryRateLimiter)
            return MemoryWaitingRoomStore(room_policy, self.limiter)
        store = await self._redis.open(room_policy)
        self.limiter = RedisRateLimiter.from_url(REDIS_URL, room=self._redis.name, pool_size=2)
        return store

    async def end_pace(self, user_id: int, now: float) -> float:
        """End the fan's pace at once, and the store's `now` from then on. The limiter's
        `pace` replaces a pace (tests/contract/test_rate_limiter.py), here by one of a
        millisecond, which runs out on the scenario's clock in memory and on the server's in
        Redis; a check that names no counter tells when, and counts nothing."""
        pace_key = f"pace:{user_id}"
        await self.limiter.pace(pace_key, 0.001, now)
        now += 0.002
        deadline = time.monotonic() + PATIENCE
        while await self.limiter.check(pace_key, [], now) > 0:
            assert time.monotonic() < deadline, "the pace never ended"
            await asyncio.sleep(0.005)
        return now

    async def drop(self) -> None:
        await self.limiter.close()
        await self._redis.drop()


@pytest.fixture(params=["memory", "redis"])
async def room(request: pytest.FixtureRequest) -> AsyncIterator[PollRoom]:
    handle = PollRoom(request.param)
    yield handle
    await handle.drop()


async def refused_for(poll: Awaitable[PassView | None]) -> float:
    with pytest.raises(Refused) as refused:
        await poll
    assert refused.value.wait_seconds > 0
    return refused.value.wait_seconds


def viewed(found: PassView | None) -> PassView:
    assert isinstance(found, PassView), found
    return found


# The poll reads the pass as `view` does


async def test_an_accepted_poll_answers_what_view_answers(room: PollRoom) -> None:
    store = await room.open(policy(max_active=1))
    first, second = await join_fans(store, 2)
    assert await store.admit(T0 + 1) == [first]

    for pass_id in (first, second, "never-issued"):
        assert await store.poll(pass_id, T0 + 2, NOT_PACED) == await store.view(pass_id, T0 + 2)
    assert viewed(await store.poll(second, T0 + 2, paced(2, 0.5))).position == 1


async def test_a_poll_expires_a_lapsed_pass_as_view_does(room: PollRoom) -> None:
    store = await room.open(policy(claim_seconds=10))
    (pass_id,) = await join_fans(store, 1)
    await store.admit(T0 + 1)

    assert await store.poll(pass_id, T0 + 11, NOT_PACED) is None
    stats = await store.stats(T0 + 11)
    assert (stats.active, stats.expired_total, stats.abandoned_total) == (0, 1, 1)


# A refused poll


async def test_a_poll_over_a_limit_is_refused_for_the_rest_of_its_window(room: PollRoom) -> None:
    store = await room.open()
    (pass_id,) = await join_fans(store, 1)
    guard = PollGuard(limits=(Limit("status:user:1", 2, MINUTE),))

    assert [viewed(await store.poll(pass_id, T0 + 1, guard)).position for _ in range(2)] == [1, 1]
    assert MINUTE - 5 < await refused_for(store.poll(pass_id, T0 + 1, guard)) <= MINUTE


async def test_a_refused_poll_reads_nothing_and_counts_on_no_further_counter(
    room: PollRoom,
) -> None:
    store = await room.open()
    await join_fans(store, 2)
    address = Limit("ip:203.0.113.7", 3, MINUTE)
    fan = PollGuard(limits=(Limit("status:user:1", 1, MINUTE), address))
    other = PollGuard(limits=(Limit("status:user:2", 10, MINUTE), address))
    before = await store.stats(T0 + 1)

    viewed(await store.poll("pass-1", T0 + 1, fan))
    # Refused by the account's counter, before the address's counts it and before any pass is
    # looked at: a pass that does not exist is refused just the same, not found missing.
    await refused_for(store.poll("pass-1", T0 + 1, fan))
    await refused_for(store.poll("never-issued", T0 + 1, fan))

    # So the address has counted one poll of its three: the other fan gets two more.
    assert viewed(await store.poll("pass-2", T0 + 1, other)).position == 2
    assert viewed(await store.poll("pass-2", T0 + 1, other)).position == 2
    await refused_for(store.poll("pass-2", T0 + 1, other))
    assert await store.stats(T0 + 1) == before


async def test_a_paced_poll_counts_on_no_counter(room: PollRoom) -> None:
    # One admission every ten seconds and the fan fifth in line: told to poll again after 16 s,
    # paced for all of them (ratio 1), so that every poll below meets the pace however slowly
    # the machine runs.
    store = await room.open(policy(admit_per_minute=6, max_active=1))
    await join_fans(store, 5)
    guard = paced(5, 1.0, Limit("status:user:5", 2, MINUTE))

    view = viewed(await store.poll("pass-5", T0 + 1, guard))  # the account's first poll
    pace = expected_pace(view, T0 + 1, 1.0)
    assert pace == 16
    for _ in range(3):
        assert 0 < await refused_for(store.poll("pass-5", T0 + 1, guard)) <= pace + 1e-6
    now = await room.end_pace(5, T0 + 1)

    viewed(await store.poll("pass-5", now, guard))  # the account's second poll, not its fifth
    now = await room.end_pace(5, now)
    # Its third: refused by the minute's window (the pace is over), for what is left of it.
    assert MINUTE - 5 < await refused_for(store.poll("pass-5", now, guard)) <= MINUTE


async def test_a_join_and_a_poll_count_on_the_same_address_counter(room: PollRoom) -> None:
    store = await room.open()
    address = Limit("ip:203.0.113.7", 3, MINUTE)

    view, _ = await store.join(1, "pass-1", T0 + 1, (address,))
    viewed(await store.poll(view.pass_id, T0 + 1, PollGuard(limits=(address,))))
    # The rate limiter's own counter of the room: the same one.
    assert await room.limiter.check(NO_PACE, [address], T0 + 1) == 0
    await refused_for(store.poll(view.pass_id, T0 + 1, PollGuard(limits=(address,))))
    with pytest.raises(Refused):
        await store.join(2, "pass-2", T0 + 1, (address,))


# A join's limits


async def test_a_join_over_a_limit_is_refused_for_the_rest_of_its_window(room: PollRoom) -> None:
    store = await room.open()
    account = Limit("join:user:1", 2, MINUTE)

    first, created = await store.join(1, "pass-1", T0 + 1, (account,))
    again, created_again = await store.join(1, "pass-1b", T0 + 2, (account,))
    assert (created, created_again, again.pass_id) == (True, False, first.pass_id)
    with pytest.raises(Refused) as refused:
        await store.join(1, "pass-1c", T0 + 3, (account,))
    assert MINUTE - 5 < refused.value.wait_seconds <= MINUTE
    # Another account's joins count on its own counter.
    assert (await store.join(2, "pass-2", T0 + 3, (Limit("join:user:2", 2, MINUTE),)))[1]


async def test_a_refused_join_makes_no_pass_and_counts_on_no_further_counter(
    room: PollRoom,
) -> None:
    store = await room.open()
    address = Limit("ip:203.0.113.7", 2, MINUTE)
    fan = (Limit("join:user:1", 1, MINUTE), address)
    other = (Limit("join:user:2", 10, MINUTE), address)
    await store.join(1, "pass-1", T0 + 1, fan)
    before = await store.stats(T0 + 1)

    # Refused by the account's counter, before the address's counts it or the room is read.
    with pytest.raises(Refused):
        await store.join(3, "pass-3", T0 + 1, fan)
    assert await store.stats(T0 + 1) == before
    assert await store.view("pass-3", T0 + 1) is None

    # So the address has counted one join of its two: the other fan gets one more.
    assert (await store.join(2, "pass-2", T0 + 1, other))[0].position == 2
    with pytest.raises(Refused):
        await store.join(4, "pass-4", T0 + 1, other)
    assert (await store.stats(T0 + 1)).waiting == before.waiting + 1


# Pacing


def expected_pace(view: PassView, now: float, ratio: float) -> float:
    return advise(view, now).poll_after_seconds * ratio


async def test_a_waiting_pass_is_paced_for_poll_after_times_the_ratio(room: PollRoom) -> None:
    store = await room.open(policy(admit_per_minute=6, max_active=1))  # one every ten seconds
    await join_fans(store, 5)
    guard = paced(5, 0.5)

    view = viewed(await store.poll("pass-5", T0 + 1, guard))

    assert (view.position, advise(view, T0 + 1).poll_after_seconds) == (5, 16)
    wait = await refused_for(store.poll("pass-5", T0 + 1, guard))
    assert 8 - 0.25 < wait <= 8
    # The pace is the fan's own: the fan ahead polls as usual.
    assert viewed(await store.poll("pass-1", T0 + 1, paced(1, 0.5))).position == 1


@pytest.mark.parametrize("claim_seconds", [10, 60])
async def test_a_fan_who_polls_when_told_finds_the_pass_it_was_admitted_with(
    room: PollRoom, claim_seconds: int
) -> None:
    # One admission a minute: the 40th in line waits about 2,400 s, and is told to come back after
    # a minute, the longest interval, whatever the line's claim window.
    store = await room.open(
        policy(admit_per_minute=1, max_active=1000, claim_seconds=claim_seconds)
    )
    await join_fans(store, 40)
    told_at = T0 + 5
    assert await store.admit(told_at) == ["pass-1"]  # the bucket's one token
    view = viewed(await store.poll("pass-40", told_at, NOT_PACED))
    poll_after = advise(view, told_at).poll_after_seconds
    assert poll_after == MAX_POLL_SECONDS

    # Right after, the line moves far faster than the estimate said (the admin raised the rate):
    # everyone is let in at once, long before the fan is due back.
    await store.set_policy(
        policy(admit_per_minute=600_000, max_active=1000, claim_seconds=claim_seconds)
    )
    admitted = await store.admit(told_at + 1)
    assert "pass-40" in admitted

    # The pass's claim window starts when its fan is due back: coming back when told, or as
    # late as the window allows, the fan still finds it ACTIVE ...
    due = told_at + poll_after
    back = viewed(await store.view("pass-40", due + claim_seconds - 0.5))
    assert (back.status, back.active_until) == (PassStatus.ACTIVE, due + claim_seconds)
    # ... and a fan who never comes back gives the slot up a window after that.
    assert await store.view("pass-40", due + claim_seconds) is None
    assert (await store.stats(due + claim_seconds)).abandoned_total >= 1


async def test_a_fan_admitted_before_the_first_poll_its_join_advised_keeps_the_window(
    room: PollRoom,
) -> None:
    # The join's answer tells the fan when to poll first: the pass notes that too.
    store = await room.open(policy(admit_per_minute=1, max_active=1000, claim_seconds=10))
    *_, last = await join_fans(store, 40)
    joined_at = T0 + 3.9  # join_fans: a tenth of a second apart
    told = advise(viewed(await store.view(last, joined_at)), joined_at).poll_after_seconds
    assert told == MAX_POLL_SECONDS
    assert await store.admit(joined_at) == ["pass-1"]  # the bucket's one token
    await store.set_policy(policy(admit_per_minute=600_000, max_active=1000, claim_seconds=10))
    assert last in await store.admit(joined_at + 1)
    admitted = viewed(await store.view(last, joined_at + 1))
    assert admitted.active_until == joined_at + told + 10


async def test_an_active_pass_is_not_paced(room: PollRoom) -> None:
    store = await room.open()
    (pass_id,) = await join_fans(store, 1)
    await store.admit(T0 + 1)
    guard = paced(1, 1.0)

    polls = [viewed(await store.poll(pass_id, T0 + 2, guard)) for _ in range(3)]

    assert {view.status for view in polls} == {PassStatus.ACTIVE}


@pytest.mark.parametrize(
    "guard",
    [paced(1, 0.0), PollGuard(limits=(), pace_key=None, pace_ratio=1.0)],
    ids=["ratio 0", "no pace key"],
)
async def test_without_a_ratio_or_a_key_nothing_is_paced(room: PollRoom, guard: PollGuard) -> None:
    store = await room.open()
    (pass_id,) = await join_fans(store, 1)

    polls = [viewed(await store.poll(pass_id, T0 + 1, guard)) for _ in range(3)]

    assert [view.position for view in polls] == [1, 1, 1]
    # And no pacing key was left behind for a later guard that does pace.
    viewed(await store.poll(pass_id, T0 + 1, paced(1, 1.0)))


async def test_a_pass_in_the_prequeue_is_paced_by_the_time_to_the_opening(
    room: PollRoom,
) -> None:
    store = await room.open(policy(opens_at=T0 + 251.5))
    (pass_id,) = await join_fans(store, 1)
    guard = paced(1, 0.2)

    view = viewed(await store.poll(pass_id, T0 + 1, guard))

    assert (view.position, view.opens_at) == (None, T0 + 251.5)
    assert advise(view, T0 + 1) == Advice(estimated_wait_seconds=251, poll_after_seconds=60)
    assert 12 - 0.25 < await refused_for(store.poll(pass_id, T0 + 1, guard)) <= 12 + 1e-6


def commands_sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Redis commands sent from now on, by name, in order."""
    sent: list[str] = []
    execute = Redis.execute_command

    async def counted(client: Redis, *args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await execute(client, *args, **options)

    monkeypatch.setattr(Redis, "execute_command", counted)
    return sent


async def test_a_poll_is_one_round_trip_to_redis(
    redis_room: RedisRoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await redis_room.open(policy())
    await join_fans(store, 2)
    await store.poll("pass-1", T0 + 1, NOT_PACED)  # Redis loads the script on its first use
    guard = paced(2, 0.5, Limit("status:user:2", 10, MINUTE), Limit("ip:x", 10, MINUTE))
    sent = commands_sent(monkeypatch)

    assert viewed(await store.poll("pass-2", T0 + 1, guard)).position == 2  # and paced
    await refused_for(store.poll("pass-2", T0 + 1, guard))
    assert sent == ["EVALSHA", "EVALSHA"]


async def test_a_join_is_one_round_trip_to_redis(
    redis_room: RedisRoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await redis_room.open(policy())
    await join_fans(store, 1)  # Redis loads the script on its first use
    limits = (Limit("join:user:2", 1, MINUTE), Limit("ip:x", 10, MINUTE))
    sent = commands_sent(monkeypatch)

    assert (await store.join(2, "pass-2", T0 + 1, limits))[0].position == 2
    with pytest.raises(Refused):
        await store.join(2, "pass-2b", T0 + 1, limits)
    assert sent == ["EVALSHA", "EVALSHA"]


# The pace set in Lua is the poll_after_seconds of the Python domain, and so is when the fan is
# noted due back, where an admitted pass's claim window starts (domain.claim_deadline)


@dataclass(frozen=True)
class Scenario:
    """Admissions (fans joining, one admission step, time passing), then fans waiting, then a
    poll of the last of them; perhaps a sale opening `opening` seconds after the poll."""

    admit_per_minute: int
    admissions: list[tuple[int, float]]
    waiting: int
    poll_in: float
    opening: float | None
    opening_called_off: bool
    claim_seconds: int
    admit_in: float  # then everyone is let in, by this long after the poll (+ 0.01 s at most)

    def times(self) -> tuple[list[float], float, float]:
        """When each admission step runs, when the waiting fans start joining, when the poll is."""
        now, steps = T0, []
        for count, gap in self.admissions:
            now += count / 10  # join_fans: a tenth of a second apart
            steps.append(now)
            now += gap
        return steps, now, now + self.waiting / 10 + self.poll_in

    def policy(self) -> QueuePolicy:
        poll_at = self.times()[2]
        opens_at = None if self.opening is None else poll_at + self.opening
        return policy(
            max_active=1000,
            admit_per_minute=self.admit_per_minute,
            opens_at=opens_at,
            claim_seconds=self.claim_seconds,
        )


scenarios = st.builds(
    Scenario,
    admit_per_minute=st.integers(1, 120) | st.integers(1, 6000),
    # As many admitted at each step as the bucket allows; the rest wait ahead.
    admissions=st.lists(st.tuples(st.integers(0, 12), st.floats(0, 70)), max_size=3),
    waiting=st.integers(1, 40),
    poll_in=st.floats(0, 120),
    # Just before a whole ten seconds to the opening, where rounding the wait changes the advice.
    opening=st.none() | st.floats(-60, 400) | st.integers(0, 40).map(lambda tens: tens * 10 - 0.5),
    opening_called_off=st.booleans(),
    # Short windows, long ones, and the default.
    claim_seconds=st.sampled_from([60, 5]) | st.integers(5, 120),
    # Before the fan is due back (1-60 s), or after.
    admit_in=st.floats(0.01, 120),
)


async def _pace_and_advice(
    store: WaitingRoomStore, scenario: Scenario
) -> tuple[float, int, float, float | None]:
    """Play the scenario on `store`: the pace the poll set, the advice the fan is given, and
    when the pass is let in (by `admit_in` after the poll, at a rate that lets everyone in) and
    until when it then lives unclaimed."""
    steps, waiting_from, poll_at = scenario.times()
    for batch, ((count, _), step_at) in enumerate(zip(scenario.admissions, steps, strict=True)):
        await join_fans(store, count, first_user=1000 * (batch + 1), at=step_at - count / 10)
        await store.admit(step_at)
    await join_fans(store, scenario.waiting, at=waiting_from)
    if scenario.opening_called_off:
        await store.set_policy(replace(await store.get_policy(), opens_at=None))
    last, guard = f"pass-{scenario.waiting}", paced(scenario.waiting, 1.0)
    view = viewed(await store.poll(last, poll_at, guard))
    pace = await refused_for(store.poll(last, poll_at, guard))
    fast = replace(await store.get_policy(), admit_per_minute=600_000, opens_at=None)
    await store.set_policy(fast)
    # The bucket holds the old policy's tokens at first; where no admission ran before (the
    # sale had not opened), the first step only starts its refilling. By the third step it has
    # refilled at least 150 (0.015 s at 10,000 a second), more than a scenario's 76 fans.
    after_poll = (scenario.admit_in / 2, scenario.admit_in, scenario.admit_in + 0.01)
    for admitted_at in (poll_at + delay for delay in after_poll):
        if last in await store.admit(admitted_at):
            break
    admitted = viewed(await store.view(last, admitted_at))
    assert admitted.status is PassStatus.ACTIVE
    return pace, advise(view, poll_at).poll_after_seconds, admitted_at, admitted.active_until


async def _on_both_stores(scenario: Scenario) -> list[tuple[float, int, float, float | None]]:
    redis = RedisRoom()
    try:
        memory_store = MemoryWaitingRoomStore(scenario.policy())
        redis_store = await redis.open(scenario.policy())
        return [
            await _pace_and_advice(memory_store, scenario),
            await _pace_and_advice(redis_store, scenario),
        ]
    finally:
        await redis.drop()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
def test_the_pace_and_the_claim_window_follow_the_advice_on_every_store(
    scenario: Scenario,
) -> None:
    poll_at, window = scenario.times()[2], scenario.policy().claim_window_seconds
    for pace, poll_after, admitted_at, active_until in asyncio.run(_on_both_stores(scenario)):
        # With a ratio of 1 the pace is poll_after itself, whichever of 1..60 it is (in Redis a
        # TTL that runs on while the test asks, so a little less).
        assert poll_after - 0.25 < pace <= poll_after + 1e-6, (pace, poll_after)
        # The window starts at the admission, or when the fan is due back if that is later.
        assert active_until == claim_deadline(admitted_at, poll_at + poll_after, window)
