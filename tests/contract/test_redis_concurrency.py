"""Many instances admitting at once, each through its own connections to one Redis room.

No instance is special and there is no lock outside the scripts: the cap and the rate must hold
because each admission is one atomic step. The instances' clocks differ by a little, as real
clocks do, so calls arrive with `now` values out of order.

Each limit is shown binding in a test of its own: with a rate far above the cap, only the cap
can hold admission back; with a cap far above what the rate lets in, only the rate can. These
tests use Redis rooms only: the in-process store is one store per process, and its cap and rate
are held by the contract suite (test_waiting_room_store.py) on both stores.
"""

from __future__ import annotations

import asyncio
import math

from boxoffice.waiting_room.domain import QueuePolicy
from boxoffice.waiting_room.store import WaitingRoomStore
from tests.contract.helpers import T0
from tests.contract.rooms import RedisRoom

INSTANCES = 6
SKEWS = (0.0, 0.15, -0.1)  # seconds each instance's clock is off, as its three callers see it
TICKS = 40  # twenty seconds in half-second steps, well inside the claim window of 60 s
# Five slots, and a rate (a burst of 5,000, then 1,000 a second) that never runs short: the cap
# alone decides how many are let in.
CAP_BOUND = QueuePolicy(
    max_active=5, admit_per_minute=60_000, active_ttl_seconds=600, claim_seconds=60
)
# A burst of 10 and then 2 a second, against 40 slots that payments keep mostly free: the rate
# alone decides.
RATE_BOUND = QueuePolicy(
    max_active=40, admit_per_minute=120, active_ttl_seconds=600, claim_seconds=60
)
# Slots freed before each tick's admissions: long stretches with none, then a few at once.
FREED = (0, 0, 0, 1, 0, 0, 3, 0, 0, 0, 0, 5, 2, 0, 0, 4, 0, 0, 0, 1) * 2
FANS = 200  # far more than the cap and than all the slots ever freed


async def _instances(room: RedisRoom, policy: QueuePolicy) -> list[WaitingRoomStore]:
    return [await room.open(policy) for _ in range(INSTANCES)]


async def _join_in_order(stores: list[WaitingRoomStore], count: int, at: float) -> list[str]:
    """`count` fans join one after another, over all the instances; their pass ids in order."""
    joined = []
    for user in range(count):
        view, _ = await stores[user % INSTANCES].join(user, f"fan-{user}", at)
        joined.append(view.pass_id)
    return joined


async def test_concurrent_admission_never_exceeds_the_cap(redis_room: RedisRoom) -> None:
    stores = await _instances(redis_room, CAP_BOUND)
    cap = CAP_BOUND.max_active
    assert len(FREED) == TICKS
    joined = await _join_in_order(stores, FANS, T0 - 1)
    active: list[str] = []  # the admitted passes still holding a slot, oldest first
    admitted: list[str] = []
    samples: list[int] = []
    for tick, freed in enumerate(FREED):
        base = T0 + tick / 2
        # The fans admitted longest ago free their slots, half by paying and half by leaving,
        # through different instances; nothing is admitted meanwhile, so exactly `freed` open.
        leaving, active = active[:freed], active[freed:]
        ended = await asyncio.gather(
            *(
                stores[(tick + k) % INSTANCES].use_up(pass_id, base)
                if k % 2
                else stores[(tick + k) % INSTANCES].leave(pass_id, base)
                for k, pass_id in enumerate(leaving)
            )
        )
        assert all(ended), (tick, ended)
        assert (await stores[tick % INSTANCES].stats(base)).active == len(active)
        # Every instance admits three times at once (its callers' clocks skewed), while every
        # instance reads the count of active passes.
        batches, sampled = await asyncio.gather(
            asyncio.gather(*(store.admit(base + skew) for store in stores for skew in SKEWS)),
            asyncio.gather(*(store.stats(base) for store in stores)),
        )
        samples += [stats.active for stats in sampled]
        newly = [pass_id for batch in batches for pass_id in batch]
        # Exactly the free slots were filled, from the head of the line; the rate had thousands
        # more to give and 150-odd fans were waiting, so nothing but the cap stopped admission.
        expected = cap if tick == 0 else freed
        assert len(newly) == expected, (tick, freed, len(newly))
        assert set(newly) == set(joined[len(admitted) : len(admitted) + expected]), tick
        admitted += newly
        active += newly
        after = await asyncio.gather(*(store.stats(base + 0.2) for store in stores))
        assert [stats.active for stats in after] == [cap] * INSTANCES, (tick, after)
        assert all(stats.waiting == FANS - len(admitted) for stats in after), (tick, after)
        samples += [stats.active for stats in after]
    assert max(samples) <= cap, samples
    assert samples.count(cap) >= TICKS * INSTANCES  # the cap was reached, after every tick
    assert len(admitted) == len(set(admitted)) == cap + sum(FREED)
    assert admitted == joined[: len(admitted)]  # always the head of the line, in order by tick
    # A full room admits no one, however many instances try at once.
    idle = await asyncio.gather(
        *(store.admit(T0 + TICKS / 2 + skew) for store in stores for skew in SKEWS)
    )
    assert [pass_id for batch in idle for pass_id in batch] == []


async def test_concurrent_admission_never_exceeds_the_rate(redis_room: RedisRoom) -> None:
    stores = await _instances(redis_room, RATE_BOUND)
    joined = await _join_in_order(stores, 400, T0 - 1)
    admitted: list[str] = []
    samples: list[int] = []
    nows: list[float] = []
    paid: set[str] = set()
    for tick in range(TICKS):
        base = T0 + tick / 2
        # The fans admitted longest ago pay and leave while the instances admit and sample.
        paying = [pass_id for pass_id in admitted if pass_id not in paid][:3]
        paid.update(paying)
        nows += [base + skew for skew in SKEWS]
        batches, _, sampled = await asyncio.gather(
            asyncio.gather(*(store.admit(base + skew) for store in stores for skew in SKEWS)),
            asyncio.gather(*(stores[0].use_up(pass_id, base) for pass_id in paying)),
            asyncio.gather(*(store.stats(base) for store in stores)),
        )
        admitted += [pass_id for batch in batches for pass_id in batch]
        samples += [stats.active for stats in sampled]
    assert max(samples) <= RATE_BOUND.max_active
    # The cap was never reached: a slot was always free, so it held nothing back.
    assert max(samples) < RATE_BOUND.max_active, samples
    assert len(admitted) == len(set(admitted))
    assert set(admitted) == set(joined[: len(admitted)])  # always the head of the line
    allowed = RATE_BOUND.burst + RATE_BOUND.rate_per_second * (max(nows) - min(nows))
    assert len(admitted) <= math.floor(allowed)
    # Payments free three slots a tick, so the rate alone held admission back, to within a token.
    assert len(admitted) >= math.floor(allowed) - 2


async def test_concurrent_admission_fills_free_slots_exactly(redis_room: RedisRoom) -> None:
    # The rate would let thousands in at once: only the cap can stop at five.
    stores = await _instances(redis_room, CAP_BOUND)
    for user in range(50):
        await stores[user % INSTANCES].join(user, f"fan-{user}", T0)
    batches = await asyncio.gather(
        *(store.admit(T0 + 1 + k / 10) for store in stores for k in range(10))
    )
    assert sum(len(batch) for batch in batches) == CAP_BOUND.max_active
    stats = await stores[0].stats(T0 + 3)
    assert (stats.active, stats.waiting, stats.admitted_total) == (5, 45, 5)
