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

import httpx
import pytest

from tests.integration.cluster import Cluster, start_cluster, stop_cluster
from tests.integration.fans import (
    Fan,
    admit_all,
    close_all,
    create_date,
    make_fans,
    on_every_instance,
)

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


async def test_200_fans_asking_for_the_2_best_of_100_seats_get_50_consecutive_pairs(
    cluster: Cluster,
) -> None:
    schedule = await create_date(cluster, seats=100)
    fans = await make_fans(cluster, 200, f"best-{uuid.uuid4().hex[:6]}-")
    try:
        await admit_all(fans)
        started = time.perf_counter()
        answers = await asyncio.gather(*(f.hold_best(schedule, 2) for f in fans))
        _timed("200 best-seat holds of 2 of 100 seats", started)
    finally:
        await close_all(fans)
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 50, 409: 150}, statuses
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"SEAT_UNAVAILABLE"}
    pairs = [[s["number"] for s in a.json()["seats"]] for a in answers if a.status_code == 201]
    # Every pair consecutive (a run of two was free to the end), no seat twice: all 100 held.
    assert all(second == first + 1 for first, second in pairs), pairs
    assert sorted(n for pair in pairs for n in pair) == list(range(1, 101))
    assert_audit_passes(cluster)


async def test_concurrent_charges_and_payments_move_money_exactly_once(cluster: Cluster) -> None:
    schedule = await create_date(cluster, seats=10, price=30_000)
    (fan,) = await make_fans(cluster, 1, f"money-{uuid.uuid4().hex[:6]}-")
    everywhere: list[Fan] = []
    try:
        await admit_all([fan])
        # The same fan (account and pass) on all three instances: request i goes to instance
        # i % 3, so the five copies of each key (i, i + 20, ... for charges; i, i + 10, ... for
        # payments) reach every process, and only the database can tell them apart.
        everywhere = on_every_instance(fan, cluster)
        repeated = [f"charge-{i % 20}" for i in range(100)]  # 20 distinct keys, each 5 times
        started = time.perf_counter()
        charges = await asyncio.gather(
            *(everywhere[i % 3].charge(1_000, key) for i, key in enumerate(repeated))
        )
        _timed("100 concurrent charges (20 keys x 5) over 3 instances", started)
        assert all(c.status_code == 201 for c in charges), Counter(c.status_code for c in charges)
        _assert_every_key_on_every_instance(cluster, repeated, charges)
        by_key: dict[str, set[int]] = {}
        for key, charge in zip(repeated, charges, strict=True):
            by_key.setdefault(key, set()).add(charge.json()["transaction_id"])
        assert all(len(ids) == 1 for ids in by_key.values()), "a key moved money twice"
        assert len(set.union(*by_key.values())) == 20, "two keys shared one charge"
        for copy in everywhere:
            wallet = (await copy.client.get("/api/v1/wallet", headers=copy.headers)).json()
            assert wallet["balance"] == 20 * 1_000

        hold = await fan.hold(schedule, [1])
        assert hold.status_code == 201, hold.text
        reservation = hold.json()["id"]
        keys = [f"pay-{i % 10}" for i in range(50)]  # 10 distinct keys, each 5 times
        more = await fan.charge(50_000)
        assert more.status_code == 201
        # As many open connections to each instance as payments will go there, so that they all
        # leave at once instead of some waiting on a TCP handshake while the first one pays.
        warm = await asyncio.gather(
            *(
                everywhere[i % 3].client.get("/api/v1/wallet", headers=fan.headers)
                for i in range(len(keys))
            )
        )
        assert all(w.status_code == 200 for w in warm)
        started = time.perf_counter()
        payments = await asyncio.gather(
            *(everywhere[i % 3].pay(reservation, key) for i, key in enumerate(keys))
        )
        _timed("50 concurrent payments of one reservation over 3 instances", started)
        _assert_every_key_on_every_instance(cluster, keys, payments)
        print(f"[race] answers: {Counter((p.status_code, p.json().get('code')) for p in payments)}")
        codes = Counter(
            (p.status_code, p.json().get("code")) for p in payments if p.status_code != 201
        )
        paid_ids = {p.json()["id"] for p in payments if p.status_code == 201}
        assert len(paid_ids) == 1, (paid_ids, codes)
        assert all(
            code in ("RESERVATION_NOT_PAYABLE", "QUEUE_TOKEN_EXPIRED") for _, code in codes
        ), codes
        assert set(codes) <= {(409, "RESERVATION_NOT_PAYABLE"), (401, "QUEUE_TOKEN_EXPIRED")}
        # One key paid, and every copy of it, on whichever instance, answers that payment: a copy
        # that got past the pass waits on the key's record, and one that finds the pass used up
        # (by this payment, on any instance) is answered from the record. Only the other keys
        # find the reservation paid or the pass gone.
        (winning_key,) = {k for k, p in zip(keys, payments, strict=True) if p.status_code == 201}
        answers = [(p.status_code, p.json()) for p in payments]
        winning = [a for k, a in zip(keys, answers, strict=True) if k == winning_key]
        assert len(winning) == 5
        assert all(a == winning[0] for a in winning), (winning_key, winning)
        for copy in everywhere:
            wallet = (await copy.client.get("/api/v1/wallet", headers=copy.headers)).json()
            assert wallet["balance"] == 20 * 1_000 + 50_000 - 30_000
        ledger = (await fan.client.get("/api/v1/wallet/transactions", headers=fan.headers)).json()
        assert [e["kind"] for e in ledger].count("PAYMENT") == 1
        assert [e["kind"] for e in ledger].count("CHARGE") == 21
        assert sum(e["amount"] for e in ledger) == wallet["balance"]
        listed = (await fan.client.get("/api/v1/payments", headers=fan.headers)).json()
        assert len(listed) == 1
        assert [p["id"] for p in listed] == list(paid_ids)
        confirmed = await fan.client.get(f"/api/v1/reservations/{reservation}", headers=fan.headers)
        assert confirmed.json()["status"] == "CONFIRMED"
    finally:
        await close_all([fan, *everywhere])
    assert_audit_passes(cluster)


def _assert_every_key_on_every_instance(
    cluster: Cluster, keys: list[str], answers: list[httpx.Response]
) -> None:
    """Each instance answered some of the requests, and every key reached all of them."""
    instances = [f"{a.request.url.scheme}://{a.request.url.netloc.decode()}" for a in answers]
    served = Counter(instances)
    assert set(served) == set(cluster.base_urls), served
    assert all(count >= len(answers) // 4 for count in served.values()), served
    reached: dict[str, set[str]] = {}
    for key, instance in zip(keys, instances, strict=True):
        reached.setdefault(key, set()).add(instance)
    assert all(len(places) == len(cluster.base_urls) for places in reached.values()), reached
