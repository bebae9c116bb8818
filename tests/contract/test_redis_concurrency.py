"""Many instances admitting at once, each through its own connections to one Redis room.

No instance is special and there is no lock outside the scripts: the cap and the rate must hold
because each admission is one atomic step. The instances' clocks differ by a little, as real
clocks do, so calls arrive with `now` values out of order.
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
TICKS = 40  # twenty seconds in half-second steps
POLICY = QueuePolicy(max_active=10, admit_per_minute=120, active_ttl_seconds=600, claim_seconds=60)


async def _instances(room: RedisRoom) -> list[WaitingRoomStore]:
    return [await room.open(POLICY) for _ in range(INSTANCES)]


async def test_concurrent_admission_never_exceeds_the_cap_or_the_rate(
    redis_room: RedisRoom,
) -> None:
    stores = await _instances(redis_room)
    joined = []
    for user in range(400):  # one after another, so that the join order is known
        view, _ = await stores[user % INSTANCES].join(user, f"fan-{user}", T0 - 1)
        joined.append(view.pass_id)
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
    assert max(samples) <= POLICY.max_active
    assert len(admitted) == len(set(admitted))
    assert set(admitted) == set(joined[: len(admitted)])  # always the head of the line
    allowed = POLICY.burst + POLICY.rate_per_second * (max(nows) - min(nows))
    assert len(admitted) <= math.floor(allowed)
    # Payments free three slots a tick, so the rate alone held admission back, to within a token.
    assert len(admitted) >= math.floor(allowed) - 2


async def test_concurrent_admission_fills_free_slots_exactly(redis_room: RedisRoom) -> None:
    stores = await _instances(redis_room)
    for user in range(50):
        await stores[user % INSTANCES].join(user, f"fan-{user}", T0)
    batches = await asyncio.gather(
        *(store.admit(T0 + 1 + k / 10) for store in stores for k in range(10))
    )
    assert sum(len(batch) for batch in batches) == POLICY.max_active
    stats = await stores[0].stats(T0 + 3)
    assert (stats.active, stats.waiting, stats.admitted_total) == (10, 40, 10)
