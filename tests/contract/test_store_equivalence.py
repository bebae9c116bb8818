"""The Redis store gives the very answers of the in-process store, call for call.

Hypothesis plays random sequences of calls (with time moving between them) against both stores
and compares every answer: views, admissions, counters and policies. The pre-queue is left out
because its shuffle is random by design; the opening tests cover it on both stores.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boxoffice.waiting_room.domain import QueuePolicy
from boxoffice.waiting_room.store import WaitingRoomStore
from tests.contract.helpers import T0
from tests.contract.rooms import MemoryRoom, RedisRoom

POLICIES = [
    QueuePolicy(max_active=2, admit_per_minute=24, active_ttl_seconds=40, claim_seconds=10),
    QueuePolicy(max_active=3, admit_per_minute=60, active_ttl_seconds=20, claim_seconds=30),
    QueuePolicy(max_active=1, admit_per_minute=6, active_ttl_seconds=90, claim_seconds=5),
]

FANS = 3
WAITS = [0.25, 1, 2.5, 5, 10, 11, 30, 45, 60, 61]
# Repeats weigh the draw: mostly fans, admission and time passing; now and then a new policy.
CALLS = [
    *["join"] * 4, *["view", "authorize", "leave", "use_up"] * 2,
    *["admit"] * 4, "stats", "get_policy", *["wait"] * 5, "set_policy",
]  # fmt: skip
scripts = st.lists(
    st.tuples(st.sampled_from(CALLS), st.integers(min_value=0, max_value=99)),
    min_size=10,
    max_size=60,
)


async def _play(store: WaitingRoomStore, script: list[tuple[str, int]]) -> list[Any]:
    """Run the calls; the answers, in order. A fan's calls use their latest pass."""
    now, passes, answers = T0, dict[int, str](), list[Any]()
    for step, (call, arg) in enumerate(script):
        user = 1 + arg % FANS
        pass_id = passes.get(user, f"never-joined-{user}")
        if call == "join":
            view, created = await store.join(user, f"pass-{step}", now)
            passes[user] = view.pass_id
            answers.append((view, created))
        elif call in ("view", "authorize", "leave", "use_up"):
            answers.append(await getattr(store, call)(pass_id, now))
        elif call in ("admit", "stats"):
            answers.append(await getattr(store, call)(now))
        elif call == "get_policy":
            answers.append(await store.get_policy())
        elif call == "set_policy":
            await store.set_policy(POLICIES[arg % len(POLICIES)])
        else:
            now += WAITS[arg % len(WAITS)]
    answers.append(await store.stats(now))
    return answers


async def _both(script: list[tuple[str, int]]) -> tuple[list[Any], list[Any]]:
    memory, redis = MemoryRoom(), RedisRoom()
    try:
        expected = await _play(await memory.open(POLICIES[0]), script)
        actual = await _play(await redis.open(POLICIES[0]), script)
    finally:
        await redis.drop()
    return expected, actual


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts)
def test_redis_answers_as_the_memory_store_does(script: list[tuple[str, int]]) -> None:
    expected, actual = asyncio.run(_both(script))
    assert actual == expected
