"""A hold paid at the instant it expires is either paid or expired: never both, never neither."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.integration.cluster import Cluster, start_cluster, stop_cluster
from tests.integration.fans import Fan, admit_all, close_all, create_date, make_fans
from tests.integration.test_races import assert_audit_passes

pytestmark = pytest.mark.integration
PAIRS = 24


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    running = start_cluster(
        3, hold_seconds=5, queue_max_active=1000, queue_admit_per_minute=1_000_000
    )
    yield running
    stop_cluster(running)


async def _at(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.time()))


async def test_payment_at_the_expiry_instant_is_paid_or_expired(cluster: Cluster) -> None:
    schedule = await create_date(cluster, seats=PAIRS, price=10_000)
    tag = uuid.uuid4().hex[:6]
    owners = await make_fans(cluster, PAIRS, f"owner-{tag}-")
    rivals = await make_fans(cluster, PAIRS, f"rival-{tag}-")
    rng = random.Random(7)
    try:
        await admit_all(owners + rivals)
        for owner in owners:
            assert (await owner.charge(10_000)).status_code == 201
        holds = await asyncio.gather(*(o.hold(schedule, [i + 1]) for i, o in enumerate(owners)))
        assert all(h.status_code == 201 for h in holds)

        async def race(index: int, owner: Fan, rival: Fan) -> tuple[int, int]:
            body = holds[index].json()
            expires = datetime.fromisoformat(body["held_until"]).timestamp()
            # Pay and re-hold within 60 ms either side of the expiry instant.
            pay_at = expires + rng.uniform(-0.06, 0.06)
            rehold_at = expires + rng.uniform(0.0, 0.06)

            async def pay() -> int:
                await _at(pay_at)
                return (await owner.pay(body["id"])).status_code

            async def rehold() -> int:
                await _at(rehold_at)
                return (await rival.hold(schedule, [index + 1])).status_code

            paid, reheld = await asyncio.gather(pay(), rehold())
            return paid, reheld

        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(race(i, o, r) for i, (o, r) in enumerate(zip(owners, rivals, strict=True)))
        )
        elapsed = time.perf_counter() - started
        print(f"\n[race] {PAIRS} payments at the expiry instant: {elapsed:.2f} s")
        for index, (paid, reheld) in enumerate(outcomes):
            owner = owners[index]
            reservation = await owner.client.get(
                f"/api/v1/reservations/{holds[index].json()['id']}", headers=owner.headers
            )
            status = reservation.json()["status"]
            wallet = (await owner.client.get("/api/v1/wallet", headers=owner.headers)).json()
            if paid == 201:
                assert status == "CONFIRMED"
                assert wallet["balance"] == 0
                assert reheld == 409, "a paid seat went to someone else"
            else:
                assert paid == 409
                assert status == "EXPIRED"
                assert wallet["balance"] == 10_000, "an unpaid hold took money"
        assert {p for p, _ in outcomes} <= {201, 409}
    finally:
        await close_all(owners + rivals)
    assert_audit_passes(cluster)
