"""The contract at the sale's opening (`opens_at`): the pre-queue, shuffled once, on both stores."""

from __future__ import annotations

import asyncio
import itertools

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


async def test_the_prequeue_order_is_unbiased(open_store: OpenStore) -> None:
    """Over many openings, every arrival is equally likely to land at every place in line."""
    fans, trials = 5, 200
    store = await open_store(policy(max_active=fans, admit_per_minute=60))
    counts = [[0] * fans for _ in range(fans)]  # counts[arrival][place]
    users = itertools.count(1)
    for trial in range(trials):
        opening = T0 + 1000 * trial
        await store.set_policy(policy(max_active=fans, admit_per_minute=60, opens_at=opening))
        arrivals = []
        for arrival in range(fans):
            view, _ = await store.join(next(users), f"pass-{trial}-{arrival}", opening - 10)
            arrivals.append(view.pass_id)
        order = await store.admit(opening)
        assert sorted(order) == sorted(arrivals)
        for place, pass_id in enumerate(order):
            counts[arrivals.index(pass_id)][place] += 1
            assert await store.use_up(pass_id, opening)
    expected = trials / fans
    statistic = sum((cell - expected) ** 2 / expected for row in counts for cell in row)
    # (fans - 1)² degrees of freedom; a fair shuffle fails this once in a million runs.
    assert chi_square_p_value(statistic, (fans - 1) ** 2) > 1e-6, counts
