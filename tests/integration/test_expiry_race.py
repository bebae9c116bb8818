"""A hold paid at the instant it expires is either paid or expired: never both, never neither.

Each owner's payment races a rival's re-hold of the same seat, sent at or after the expiry. The
pay instants are spread so that some payments land clearly before the expiry and some clearly
after, and the rest within 60 ms of it: both outcomes must happen, and each pair must end one way
or the other, whole. The test and the instances share one clock (one host), so a payment whose
answer came back before `held_until` must have been paid, and one sent after it must not.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.integration.cluster import API, Cluster, start_cluster, stop_cluster
from tests.integration.fans import Fan, admit_all, close_all, create_date, make_fans
from tests.integration.test_races import assert_audit_passes

pytestmark = pytest.mark.integration
PRICE = 10_000
# Seconds from the expiry instant at which each owner pays: eight clearly on either side of it,
# and sixteen near it (drawn below). With three instances on a shared host a request takes tens of
# milliseconds, so the far ones decide the outcome and the near ones race it.
FAR_OFFSETS = (-0.3, -0.25, -0.2, -0.15, 0.15, 0.2, 0.25, 0.3)
NEAR = 16
PAIRS = len(FAR_OFFSETS) + NEAR


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # The race under test is a payment against the lazy expiry a re-hold relies on. A sweep
    # falling in the half second around the instant would mark the holds EXPIRED first and
    # decide those pairs for them, so the sweeper waits out the test (tests/e2e cover it).
    running = start_cluster(
        3,
        hold_seconds=5,
        queue_max_active=1000,
        queue_admit_per_minute=1_000_000,
        sweeper_interval_seconds=600,
    )
    yield running
    stop_cluster(running)


async def _at(moment: float) -> float:
    """Wait until the wall clock reads `moment` (never earlier); the time it then reads."""
    # A wall-clock instant is not an event; the loop guards against a sleep that wakes early.
    while (now := time.time()) < moment:  # noqa: ASYNC110
        await asyncio.sleep(moment - now)
    return now


@dataclass(frozen=True)
class Race:
    """One pair's race: when the payment went out and came back, and both answers."""

    reservation_id: int
    expires: float
    pay_sent: float
    pay_done: float
    rehold_sent: float
    paid: httpx.Response
    reheld: httpx.Response


async def _get(fan: Fan, path: str) -> Any:
    answer = await fan.client.get(f"{API}{path}", headers=fan.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_payment_at_the_expiry_instant_is_paid_or_expired(cluster: Cluster) -> None:
    schedule = await create_date(cluster, seats=PAIRS, price=PRICE)
    tag = uuid.uuid4().hex[:6]
    owners = await make_fans(cluster, PAIRS, f"owner-{tag}-")
    rivals = await make_fans(cluster, PAIRS, f"rival-{tag}-")
    (observer,) = await make_fans(cluster, 1, f"observer-{tag}-")
    rng = random.Random(7)
    offsets = [*FAR_OFFSETS, *(rng.uniform(-0.06, 0.06) for _ in range(NEAR))]
    rng.shuffle(offsets)
    try:
        await admit_all([*owners, *rivals, observer])
        # Rivals can pay too: a rival who gets the seat pays for it, so that the seat is
        # theirs for good, not only until their own hold runs out.
        charged = await asyncio.gather(*(fan.charge(PRICE) for fan in owners + rivals))
        assert all(c.status_code == 201 for c in charged)
        holds = await asyncio.gather(*(o.hold(schedule, [i + 1]) for i, o in enumerate(owners)))
        assert all(h.status_code == 201 for h in holds), [h.text for h in holds]

        async def race(index: int, owner: Fan, rival: Fan) -> Race:
            body = holds[index].json()
            expires = datetime.fromisoformat(body["held_until"]).timestamp()
            pay_at = expires + offsets[index]
            # The rival asks only once the hold has run out (else a refusal would be right
            # whoever won), and just after a late payment so that the payment comes first.
            rehold_at = max(expires, pay_at) + rng.uniform(0.0, 0.06)

            async def pay() -> tuple[float, httpx.Response, float]:
                sent = await _at(pay_at)
                answer = await owner.pay(body["id"])
                return sent, answer, time.time()

            async def rehold() -> tuple[float, httpx.Response]:
                sent = await _at(rehold_at)
                return sent, await rival.hold(schedule, [index + 1])

            (pay_sent, paid, pay_done), (rehold_sent, reheld) = await asyncio.gather(
                pay(), rehold()
            )
            return Race(body["id"], expires, pay_sent, pay_done, rehold_sent, paid, reheld)

        started = time.perf_counter()
        races = await asyncio.gather(
            *(race(i, o, r) for i, (o, r) in enumerate(zip(owners, rivals, strict=True)))
        )
        elapsed = time.perf_counter() - started
        print(f"\n[race] {PAIRS} payments at the expiry instant: {elapsed:.2f} s")
        # A rival who won the seat pays for it at once, well inside their own 5-second hold.
        rival_payments = await asyncio.gather(
            *(
                rival.pay(outcome.reheld.json()["id"])
                for rival, outcome in zip(rivals, races, strict=True)
                if outcome.reheld.status_code == 201
            )
        )
        assert all(p.status_code == 201 for p in rival_payments), [p.text for p in rival_payments]

        outcomes = Counter(outcome.paid.status_code for outcome in races)
        print(f"[race] owner payments: {dict(outcomes)}")
        assert set(outcomes) == {201, 409}, f"both outcomes must happen: {outcomes}"
        for index, outcome in enumerate(races):
            await _assert_one_winner(index, outcome, owners[index], rivals[index])
        # Every seat went to exactly one fan, and was sold to them.
        await _assert_all_sold(observer, schedule)
    finally:
        await close_all([*owners, *rivals, observer])
    assert_audit_passes(cluster)


async def _assert_one_winner(index: int, outcome: Race, owner: Fan, rival: Fan) -> None:
    """The seat went to the owner (paid) or to the rival (the payment refused), whole."""
    seat = index + 1
    context = (
        f"pair {index}: pay sent {outcome.pay_sent - outcome.expires:+.3f} s, answered "
        f"{outcome.pay_done - outcome.expires:+.3f} s, re-hold sent "
        f"{outcome.rehold_sent - outcome.expires:+.3f} s from the expiry: "
        f"{outcome.paid.status_code} {outcome.paid.text} / "
        f"{outcome.reheld.status_code} {outcome.reheld.text}"
    )
    assert outcome.rehold_sent >= outcome.expires, context
    if outcome.pay_done < outcome.expires:
        assert outcome.paid.status_code == 201, f"a live hold was refused; {context}"
    if outcome.pay_sent >= outcome.expires:
        assert outcome.paid.status_code == 409, f"an expired hold was paid; {context}"
    reservation_id = outcome.reservation_id
    owner_view = await _get(owner, f"/reservations/{reservation_id}")
    owner_wallet = await _get(owner, "/wallet")
    owner_ledger = await _get(owner, "/wallet/transactions")
    owner_payments = await _get(owner, "/payments")
    rival_wallet = await _get(rival, "/wallet")
    if outcome.paid.status_code == 201:
        payment = outcome.paid.json()
        assert (payment["reservation_id"], payment["amount"], payment["status"]) == (
            reservation_id,
            PRICE,
            "PAID",
        ), context
        assert owner_view["status"] == "CONFIRMED", context
        assert owner_wallet["balance"] == 0, context
        assert sorted(e["kind"] for e in owner_ledger) == ["CHARGE", "PAYMENT"], context
        assert [p["id"] for p in owner_payments] == [payment["id"]], context
        assert outcome.reheld.status_code == 409, f"a paid seat went to someone else; {context}"
        problem = outcome.reheld.json()
        assert (problem["code"], problem["seats"]) == ("SEAT_UNAVAILABLE", [seat]), context
        assert rival_wallet["balance"] == PRICE, context
        assert await _get(rival, "/reservations") == [], context
        return
    assert outcome.paid.status_code == 409, f"neither paid nor refused; {context}"
    assert outcome.paid.json()["code"] == "HOLD_EXPIRED", context
    assert owner_view["status"] == "EXPIRED", context
    assert owner_wallet["balance"] == PRICE, f"an unpaid hold took money; {context}"
    assert [e["kind"] for e in owner_ledger] == ["CHARGE"], context
    assert owner_payments == [], context
    assert outcome.reheld.status_code == 201, f"the seat went to no one; {context}"
    rival_view = await _get(rival, f"/reservations/{outcome.reheld.json()['id']}")
    assert [s["number"] for s in rival_view["seats"]] == [seat], context
    assert rival_view["status"] == "CONFIRMED", context  # the rival paid for it just after
    assert rival_wallet["balance"] == 0, context


async def _assert_all_sold(observer: Fan, schedule: int) -> None:
    """The seat map shows every seat SOLD (it may be up to a second stale across instances)."""
    deadline = time.monotonic() + 10.0
    while True:
        seats = await _get(observer, f"/schedules/{schedule}/seats")
        statuses = Counter(seat["status"] for seat in seats)
        if statuses == {"SOLD": PAIRS} or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert statuses == {"SOLD": PAIRS}, statuses
