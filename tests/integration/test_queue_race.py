"""2,000 fans join through three instances with QUEUE_MAX_ACTIVE=50: never more than 50 active,
and passes turn ACTIVE in join order."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest

from tests.integration.cluster import Cluster, start_cluster, stop_cluster
from tests.integration.fans import Fan, admin, admit_all, close_all, make_fans
from tests.integration.test_races import assert_audit_passes

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
MAX_ACTIVE = 50
FANS = 2000


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    running = start_cluster(
        3, queue_max_active=MAX_ACTIVE, queue_admit_per_minute=60_000, queue_claim_seconds=600
    )
    yield running
    stop_cluster(running)


async def _sample_active(cluster: Cluster, stop: asyncio.Event, samples: list[int]) -> None:
    while not stop.is_set():
        room = await admin(cluster, "GET", "/admin/queue")
        samples.append(room.json()["active"])
        await asyncio.sleep(0.05)


async def _shop_and_leave(fan: Fan) -> None:
    await fan.wait_active(within=300)
    assert await fan.leave() == 204


async def test_line_is_capped_and_in_join_order(cluster: Cluster) -> None:
    tag = uuid.uuid4().hex[:6]
    blockers = await make_fans(cluster, MAX_ACTIVE, f"blocker-{tag}-")
    fans = await make_fans(cluster, FANS, f"line-{tag}-")
    samples: list[int] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_active(cluster, stop, samples))
    try:
        # Fill every slot first: while nobody can be admitted, a fan's position at joining is
        # exactly its rank in join order, however the joins interleave across instances.
        await admit_all(blockers)
        started = time.perf_counter()
        gate = asyncio.Semaphore(200)

        async def join(fan: Fan) -> None:
            async with gate:
                await fan.join()

        await asyncio.gather(*(join(f) for f in fans))
        print(f"\n[race] {FANS} joins through 3 instances: {time.perf_counter() - started:.2f} s")
        positions = sorted(f.join_position or 0 for f in fans)
        assert positions == list(range(1, FANS + 1)), "join positions are a strict line"

        started = time.perf_counter()
        await asyncio.gather(*(b.leave() for b in blockers))
        await asyncio.gather(*(_shop_and_leave(f) for f in fans))
        elapsed = time.perf_counter() - started
        print(f"[race] {FANS} fans admitted through {MAX_ACTIVE} slots: {elapsed:.2f} s")
    finally:
        stop.set()
        await sampler
        await close_all(blockers + fans)

    assert samples
    assert max(samples) <= MAX_ACTIVE, max(samples)
    by_rank = sorted(fans, key=lambda f: f.join_position or 0)
    # FIFO: nobody ahead of a fan may still be waiting once that fan is active. A poll was read
    # on the server between its send and receive times, so: every WAITING poll of a fan ahead
    # was sent before this fan's first ACTIVE answer came back.
    last_waiting_sent = [
        max((sent for sent, _, s, _ in f.history if s == "WAITING"), default=0.0) for f in by_rank
    ]
    first_active_received = [
        min(received for _, received, s, _ in f.history if s == "ACTIVE") for f in by_rank
    ]
    latest_ahead = 0.0
    for rank, fan in enumerate(by_rank):
        assert latest_ahead < first_active_received[rank], (
            f"rank {rank + 1} was active while someone ahead was still waiting"
        )
        latest_ahead = max(latest_ahead, last_waiting_sent[rank])
        seen = [p for _, _, s, p in fan.history if s == "WAITING" and p is not None]
        assert seen == sorted(seen, reverse=True), "a waiting fan's position grew"
    assert_audit_passes(cluster)
