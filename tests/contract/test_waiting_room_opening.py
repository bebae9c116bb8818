"""The contract at the sale's opening (`opens_at`): the pre-queue, shuffled once, on both stores."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import replace

import pytest

from boxoffice.waiting_room.domain import PassStatus
from tests.contract.helpers import T0, chi_square_p_value, join_fans, places, policy
from tests.contract.rooms import OpenStore

OPENS_AT = T0 + 100


async def test_fans_who_join_before_the_opening_wait_in_the_prequeue(
    open_store: OpenStore,
) -> None:
    store = await open_store(policy(opens_at=OPENS_AT))
    pass_ids = await join_fans(store, 3)
    for pass_id in pass_ids:
        view = await store.view(pass_id, T0 + 1)
        assert view is not None
        assert (view.status, view.position, view.opens_at) == (PassStatus.WAITING, None, OPENS_AT)
    view, created = await store.join(2, "again", T0 + 2)
    assert (view.pass_id, created, view.position) == (pass_ids[1], False, None)
    assert await store.admit(T0 + 50) == []
    stats = await store.stats(T0 + 50)
    assert (stats.waiting, stats.prequeue, stats.admitted_total) == (3, 3, 0)
    assert await store.leave(pass_ids[0], T0 + 60)
    assert (await store.stats(T0 + 60)).prequeue == 2


async def test_at_the_opening_the_prequeue_is_put_in_line_once(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=2, opens_at=OPENS_AT))
    pass_ids = await join_fans(store, 6)
    admitted = await store.admit(OPENS_AT)
    assert len(admitted) == 2
    waiting = [pass_id for pass_id in pass_ids if pass_id not in admitted]
    in_line = await places(store, waiting, OPENS_AT)
    assert sorted(in_line) == [1, 2, 3, 4]
    view = await store.view(waiting[0], OPENS_AT)
    assert view is not None
    assert view.opens_at is None
    late, _ = await store.join(50, "late", OPENS_AT + 1)
    assert late.position == 5  # after the opening, join order holds
    assert await store.admit(OPENS_AT + 2) == []
    assert await places(store, waiting, OPENS_AT + 2) == in_line  # not shuffled again
    stats = await store.stats(OPENS_AT + 2)
    assert (stats.waiting, stats.prequeue) == (5, 0)
    for pass_id in admitted:
        assert await store.use_up(pass_id, OPENS_AT + 3)
    head = [pass_id for _, pass_id in sorted(zip(in_line, waiting, strict=True))][:2]
    assert await store.admit(OPENS_AT + 3) == head


async def test_a_fan_who_joins_just_after_the_opening_goes_after_the_prequeue(
    open_store: OpenStore,
) -> None:
    """The pre-queue was put in line by the next admission step only (every half second): a
    fan (a bot) joining between the opening and that step went ahead of everyone who waited."""
    store = await open_store(policy(max_active=1, opens_at=OPENS_AT))
    waited = await join_fans(store, 10)

    late, _ = await store.join(50, "late", OPENS_AT + 0.007)
    later, _ = await store.join(51, "later", OPENS_AT + 0.008)

    assert (late.position, later.position) == (11, 12)
    assert sorted(await places(store, waited, OPENS_AT + 0.01)) == list(range(1, 11))
    assert (await store.stats(OPENS_AT + 0.01)).prequeue == 0
    first = await store.admit(OPENS_AT + 0.5)
    assert len(first) == 1
    assert first[0] in waited


async def test_concurrent_admissions_at_the_opening_shuffle_once_and_lose_no_one(
    open_store: OpenStore,
) -> None:
    opening = policy(max_active=5, opens_at=OPENS_AT)
    handles = [await open_store(opening) for _ in range(4)]
    pass_ids = [
        (await handles[user % 4].join(user, f"pass-{user}", T0 + user / 100))[0].pass_id
        for user in range(40)
    ]
    batches = await asyncio.gather(
        *(handle.admit(OPENS_AT + k / 10) for handle in handles for k in range(5))
    )
    admitted = [pass_id for batch in batches for pass_id in batch]
    assert len(admitted) == len(set(admitted)) == 5
    waiting = [pass_id for pass_id in pass_ids if pass_id not in admitted]
    in_line = await places(handles[0], waiting, OPENS_AT + 1)
    assert sorted(in_line) == list(range(1, 36))
    await asyncio.gather(*(handle.admit(OPENS_AT + 1) for handle in handles for _ in range(5)))
    assert await places(handles[1], waiting, OPENS_AT + 1) == in_line
    stats = await handles[2].stats(OPENS_AT + 1)
    assert (stats.waiting, stats.active, stats.prequeue) == (35, 5, 0)


# The pre-queue's lottery, tested as a statistician would: many openings of a pre-queue of
# FANS, and two chi-square tests of the orders they gave. A fair shuffle makes every one of the
# 120 orders equally likely, so (a) each order turns up OPENINGS / 120 times, and (b) each
# arrival lands at each place OPENINGS / 5 times. The shuffles draw from a CSPRNG that no test
# can seed, so the test is a statistical one: each chi-square is held to a false alarm of
# 0.0005, so that a fair shuffle fails this test about once in a thousand runs on each store.
# 2,000 openings catch the textbook biased shuffle (`swap(i, randint(0, n - 1))` for every i)
# 999 times in 1,000, and a shuffle that never puts one arrival last, or one that only rotates,
# every time (simulated, with the exact distribution of each).
FANS = 5
OPENINGS = 2000
# Upper 0.0005 points of the chi-square distribution, from its regularized incomplete gamma
# function (scipy's chi2.isf(0.0005, df) gives the same), at (a) 5! - 1 = 119 and (b) (5 - 1)²
# = 16 degrees of freedom; the second is checked below against the closed form of even ones.
ALPHA = 0.0005
CRITICAL_ORDERS = 176.390  # (a); Wilson-Hilferty's approximation gives 176.46
CRITICAL_PLACES = 41.308  # (b)


def _chi_square(observed: list[int], expected: float) -> float:
    return sum((count - expected) ** 2 / expected for count in observed)


async def _orders_at_openings(open_store: OpenStore) -> Counter[tuple[int, ...]]:
    """How often each order of arrivals (arrival index by place in line) came out of OPENINGS
    openings of a fresh pre-queue of FANS."""
    room = policy(max_active=FANS, admit_per_minute=60)  # a burst of five: the whole pre-queue
    store = await open_store(room)
    orders: Counter[tuple[int, ...]] = Counter()
    for opening_no in range(OPENINGS):
        opening = T0 + 1000 * opening_no  # the last opening's fans have expired by then
        await store.set_policy(replace(room, opens_at=opening))
        # Pass ids that read as integers, rising with arrival: Redis then keeps its pre-queue set
        # in arrival order (an intset), so nothing but the shuffle stands between arrival and
        # place. With other ids a set's hash order could hide a biased shuffle.
        first = 1 + FANS * opening_no
        arrivals = [str(first + arrival) for arrival in range(FANS)]
        for user_id, pass_id in enumerate(arrivals, start=first):
            await store.join(user_id, pass_id, opening - 10)
        order = await store.admit(opening)
        assert sorted(order) == sorted(arrivals), (order, arrivals)
        orders[tuple(arrivals.index(pass_id) for pass_id in order)] += 1
    return orders


async def test_the_prequeue_order_is_uniformly_random(open_store: OpenStore) -> None:
    """Every order of the pre-queue is equally likely, and so every place for every arrival."""
    orders = await _orders_at_openings(open_store)
    assert sum(orders.values()) == OPENINGS

    # (a) All 120 orders, each expected OPENINGS / 120 = 16.7 times (119 degrees of freedom).
    every_order = list(itertools.permutations(range(FANS)))
    by_order = [orders[order] for order in every_order]
    statistic_orders = _chi_square(by_order, OPENINGS / len(every_order))

    # (b) Arrival by place, each cell expected OPENINGS / 5 times. Each arrival's row is a
    # multinomial with 4 degrees of freedom, but the places' columns are tied too (each place
    # holds one fan per opening), which leaves (5 - 1)² free cells; the plain sum of the 25
    # cells then averages 20, not 16, and the factor (n - 1) / n makes it a chi-square of 16
    # (Anderson's statistic for rankings; a simulation of a fair shuffle confirms the 0.0005).
    by_place = [[0] * FANS for _ in range(FANS)]  # by_place[arrival][place]
    for order, count in orders.items():
        for place, arrival in enumerate(order):
            by_place[arrival][place] += count
    cells = [count for row in by_place for count in row]
    statistic_places = (FANS - 1) / FANS * _chi_square(cells, OPENINGS / FANS)

    assert chi_square_p_value(CRITICAL_PLACES, (FANS - 1) ** 2) == pytest.approx(ALPHA, rel=1e-3)
    verdict = {
        "orders": (round(statistic_orders, 1), CRITICAL_ORDERS),
        "places": (round(statistic_places, 1), CRITICAL_PLACES),
        "arrival by place": by_place,
    }
    assert statistic_orders < CRITICAL_ORDERS, verdict
    assert statistic_places < CRITICAL_PLACES, verdict
