"""Real races between three `boxoffice serve` processes on one PostgreSQL and one Redis.

Each test ends with `boxoffice audit`, which must pass.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.integration.cluster import Cluster, start_cluster, stop_cluster
from tests.integration.fans import admit_all, close_all, create_date, make_fans

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    running = start_cluster(
        3,
        queue_max_active=5000,
        queue_admit_per_minute=1_000_000,
        max_held_seats_per_user=4,
        wallet_max_balance=100_000_000,
        wallet_max_charge=10_000_000,
    )
    yield running
    stop_cluster(running)


def assert_audit_passes(cluster: Cluster) -> None:
    audit = cluster.run_cli("audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "audit passed" in audit.stdout


def _timed(label: str, started: float) -> None:
    print(f"\n[race] {label}: {time.perf_counter() - started:.2f} s")


async def test_300_fans_hold_the_same_seat_exactly_one_wins(cluster: Cluster) -> None:
    schedule = await create_date(cluster, seats=10)
    fans = await make_fans(cluster, 300, f"one-seat-{uuid.uuid4().hex[:6]}-")
    try:
        await admit_all(fans)
        started = time.perf_counter()
        answers = await asyncio.gather(*(f.hold(schedule, [7]) for f in fans))
        _timed("300 holds of one seat", started)
    finally:
        await close_all(fans)
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 1, 409: 299}, statuses
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"SEAT_UNAVAILABLE"}
    assert_audit_passes(cluster)


async def test_200_fans_overlapping_sets_never_share_a_seat(cluster: Cluster) -> None:
    schedule = await create_date(cluster, seats=40)
    fans = await make_fans(cluster, 200, f"overlap-{uuid.uuid4().hex[:6]}-")
    rng = random.Random(20261126)
    wanted = [sorted(rng.sample(range(1, 41), rng.randint(1, 4))) for _ in fans]
    try:
        await admit_all(fans)
        started = time.perf_counter()
        holds = (f.hold(schedule, w) for f, w in zip(fans, wanted, strict=True))
        answers = await asyncio.gather(*holds)
        _timed("200 overlapping multi-seat holds", started)
    finally:
        await close_all(fans)
    statuses = Counter(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, statuses
    owner: dict[int, int] = {}
    for index, (answer, seats) in enumerate(zip(answers, wanted, strict=True)):
        if answer.status_code == 201:
            held = [s["number"] for s in answer.json()["seats"]]
            assert held == seats, "a success holds exactly what it asked for"
            for seat in held:
                assert seat not in owner, f"seat {seat} in two live reservations"
                owner[seat] = index
        else:
            assert answer.json()["code"] == "SEAT_UNAVAILABLE"
    assert owner, "someone must have won"
    assert_audit_passes(cluster)


async def test_concurrent_charges_and_payments_move_money_exactly_once(cluster: Cluster) -> None:
    schedule = await create_date(cluster, seats=10, price=30_000)
    (fan,) = await make_fans(cluster, 1, f"money-{uuid.uuid4().hex[:6]}-")
    try:
        await admit_all([fan])
        repeated = [f"charge-{i % 20}" for i in range(100)]  # 20 distinct keys, each 5 times
        started = time.perf_counter()
        charges = await asyncio.gather(*(fan.charge(1_000, key) for key in repeated))
        _timed("100 concurrent charges (20 keys x 5)", started)
        assert all(c.status_code == 201 for c in charges), Counter(c.status_code for c in charges)
        by_key: dict[str, set[int]] = {}
        for key, charge in zip(repeated, charges, strict=True):
            by_key.setdefault(key, set()).add(charge.json()["transaction_id"])
        assert all(len(ids) == 1 for ids in by_key.values()), "a key moved money twice"
        wallet = (await fan.client.get("/api/v1/wallet", headers=fan.headers)).json()
        assert wallet["balance"] == 20 * 1_000

        hold = await fan.hold(schedule, [1])
        assert hold.status_code == 201, hold.text
        reservation = hold.json()["id"]
        keys = [f"pay-{i % 10}" for i in range(50)]  # 10 distinct keys, each 5 times
        more = await fan.charge(50_000)
        assert more.status_code == 201
        started = time.perf_counter()
        payments = await asyncio.gather(*(fan.pay(reservation, key) for key in keys))
        _timed("50 concurrent payments of one reservation", started)
        codes = Counter(
            (p.status_code, p.json().get("code")) for p in payments if p.status_code != 201
        )
        paid_ids = {p.json()["id"] for p in payments if p.status_code == 201}
        assert len(paid_ids) == 1, (paid_ids, codes)
        assert all(
            code in ("RESERVATION_NOT_PAYABLE", "QUEUE_TOKEN_EXPIRED") for _, code in codes
        ), codes
        wallet = (await fan.client.get("/api/v1/wallet", headers=fan.headers)).json()
        assert wallet["balance"] == 20 * 1_000 + 50_000 - 30_000
        ledger = (await fan.client.get("/api/v1/wallet/transactions", headers=fan.headers)).json()
        assert [e["kind"] for e in ledger].count("PAYMENT") == 1
        assert sum(e["amount"] for e in ledger) == wallet["balance"]
        listed = (await fan.client.get("/api/v1/payments", headers=fan.headers)).json()
        assert len(listed) == 1
    finally:
        await close_all([fan])
    assert_audit_passes(cluster)
