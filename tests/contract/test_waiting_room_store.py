"""The contract of `WaitingRoomStore`: every test runs on the in-process store and on Redis.

Time never passes by sleeping: each call gets an explicit `now`.
"""

from __future__ import annotations

from dataclasses import replace

from boxoffice.waiting_room.domain import SAMPLES_KEPT, PassStatus, RoomSample
from tests.contract.helpers import T0, join_fans, policy, positions, status
from tests.contract.rooms import DEFAULT_POLICY, OpenStore


async def test_fans_are_admitted_in_join_order(open_store: OpenStore) -> None:
    store = await open_store(policy(admit_per_minute=12))  # one admission every five seconds
    pass_ids = await join_fans(store, 6)
    admitted = []
    for step in range(6):
        batch = await store.admit(T0 + 10 + 5 * step)
        assert len(batch) == 1
        admitted += batch
    assert admitted == pass_ids


async def test_one_admission_takes_the_head_of_the_line_in_order(open_store: OpenStore) -> None:
    store = await open_store()
    pass_ids = await join_fans(store, 5)
    assert await store.admit(T0 + 1) == pass_ids
    assert [await status(store, pass_id, T0 + 1) for pass_id in pass_ids] == [PassStatus.ACTIVE] * 5


async def test_joining_again_returns_the_same_pass_and_keeps_the_place(
    open_store: OpenStore,
) -> None:
    store = await open_store(policy(max_active=1))
    first, second, _ = await join_fans(store, 3)
    view, created = await store.join(2, "another-pass", T0 + 5)
    assert (view.pass_id, created, view.position, view.joined_at) == (second, False, 2, T0 + 0.1)
    assert await store.admit(T0 + 6) == [first]
    again, created = await store.join(2, "yet-another", T0 + 7)
    assert (again.pass_id, created, again.position) == (second, False, 1)
    active, created = await store.join(1, "and-another", T0 + 8)
    assert (active.pass_id, created, active.status) == (first, False, PassStatus.ACTIVE)


async def test_positions_are_one_based_and_never_grow(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=2))
    pass_ids = await join_fans(store, 6)
    assert await positions(store, pass_ids, T0 + 1) == [1, 2, 3, 4, 5, 6]
    assert await store.leave(pass_ids[2], T0 + 2)
    assert await positions(store, pass_ids, T0 + 2) == [1, 2, None, 3, 4, 5]
    await store.join(99, "late-fan", T0 + 3)
    await store.join(4, "rejoin", T0 + 3)
    assert await positions(store, pass_ids, T0 + 3) == [1, 2, None, 3, 4, 5]
    assert await store.admit(T0 + 4) == pass_ids[:2]
    assert await positions(store, [*pass_ids, "late-fan"], T0 + 4) == [
        None, None, None, 1, 2, 3, 4,
    ]  # fmt: skip


async def test_admission_never_exceeds_max_active(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=3))
    pass_ids = await join_fans(store, 10)
    assert await store.admit(T0 + 1) == pass_ids[:3]
    assert await store.admit(T0 + 2) == []
    assert (await store.stats(T0 + 2)).active == 3
    assert await store.use_up(pass_ids[1], T0 + 3)
    assert await store.admit(T0 + 3) == [pass_ids[3]]
    assert (await store.stats(T0 + 3)).active == 3


async def test_admission_follows_the_token_bucket(open_store: OpenStore) -> None:
    store = await open_store(policy(admit_per_minute=60))  # 1 a second, a burst of 5
    await join_fans(store, 30)
    assert len(await store.admit(T0 + 10)) == 5  # the burst
    assert await store.admit(T0 + 10) == []  # the bucket is empty
    assert len(await store.admit(T0 + 12.5)) == 2  # 2.5 tokens: two admissions, half a token left
    assert len(await store.admit(T0 + 13)) == 1  # the half and another half make one
    assert len(await store.admit(T0 + 1000)) == 5  # a long pause refills to the burst, no more
    assert (await store.stats(T0 + 1000)).admitted_total == 13


async def test_leave_frees_the_slot_and_the_place_at_once(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=1))
    first, second, third, fourth = await join_fans(store, 4)
    assert await store.admit(T0 + 1) == [first]
    assert await store.leave(first, T0 + 2)
    assert await store.view(first, T0 + 2) is None
    assert not await store.leave(first, T0 + 2)
    assert await store.admit(T0 + 2) == [second]
    assert await store.leave(third, T0 + 3)
    assert await positions(store, [third, fourth], T0 + 3) == [None, 1]
    assert not await store.leave("no-such-pass", T0 + 3)
    stats = await store.stats(T0 + 3)
    assert (stats.waiting, stats.active, stats.expired_total) == (1, 1, 0)


async def test_use_up_ends_only_an_active_pass_and_frees_its_slot(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=1))
    first, second = await join_fans(store, 2)
    assert await store.admit(T0 + 1) == [first]
    assert not await store.use_up(second, T0 + 2)  # still waiting: nothing to use up
    assert await positions(store, [second], T0 + 2) == [1]
    assert await store.use_up(first, T0 + 2)
    assert await store.authorize(first, T0 + 2) is None
    assert not await store.use_up(first, T0 + 2)
    assert await store.admit(T0 + 2) == [second]
    stats = await store.stats(T0 + 2)
    assert (stats.active, stats.expired_total, stats.abandoned_total) == (1, 0, 0)


async def test_an_unclaimed_pass_expires_after_the_claim_window_as_abandoned(
    open_store: OpenStore,
) -> None:
    store = await open_store(policy(max_active=1, claim_seconds=60, active_ttl_seconds=600))
    first, second = await join_fans(store, 2)
    admitted_at = T0 + 1
    assert await store.admit(admitted_at) == [first]
    view = await store.view(first, admitted_at + 59.5)  # looking does not claim
    assert view is not None
    assert (view.status, view.active_until) == (PassStatus.ACTIVE, admitted_at + 60)
    assert await store.view(first, admitted_at + 60) is None
    assert await store.view(first, admitted_at + 61) is None
    assert await store.authorize(first, admitted_at + 61) is None
    stats = await store.stats(admitted_at + 61)
    assert (stats.active, stats.expired_total, stats.abandoned_total) == (0, 1, 1)
    assert await store.admit(admitted_at + 61) == [second]


async def test_admission_itself_expires_lapsed_passes(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=1, claim_seconds=60))
    first, second = await join_fans(store, 2)
    assert await store.admit(T0 + 1) == [first]
    assert await store.admit(T0 + 61) == [second]
    stats = await store.stats(T0 + 61)
    assert (stats.active, stats.expired_total, stats.abandoned_total) == (1, 1, 1)


async def test_a_claimed_pass_lives_to_its_full_ttl(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=1, claim_seconds=60, active_ttl_seconds=600))
    first, second = await join_fans(store, 2)
    admitted_at = T0 + 1
    await store.admit(admitted_at)
    claimed = await store.authorize(first, admitted_at + 10)
    assert claimed is not None
    assert (claimed.status, claimed.active_until) == (PassStatus.ACTIVE, admitted_at + 600)
    assert await status(store, first, admitted_at + 599) is PassStatus.ACTIVE
    assert await store.admit(admitted_at + 599) == []
    assert await store.authorize(first, admitted_at + 600) is None
    stats = await store.stats(admitted_at + 600)
    assert (stats.active, stats.expired_total, stats.abandoned_total) == (0, 1, 0)
    assert await store.admit(admitted_at + 600) == [second]


async def test_the_claim_window_never_outlasts_the_ttl(open_store: OpenStore) -> None:
    store = await open_store(policy(claim_seconds=60, active_ttl_seconds=30))
    [first] = await join_fans(store, 1)
    await store.admit(T0 + 1)
    view = await store.view(first, T0 + 1)
    assert view is not None
    assert view.active_until == T0 + 31


async def test_a_pass_claimed_late_in_its_window_lives_at_least_to_the_window_s_end(
    open_store: OpenStore,
) -> None:
    # A long line at a slow rate: its last fan is told to come back a minute after joining.
    slow = policy(max_active=1, admit_per_minute=1, claim_seconds=60, active_ttl_seconds=30)
    store = await open_store(slow)
    *_, last = await join_fans(store, 50)
    # Then everyone is let in at once: the last fan's window (30 s, the TTL being shorter) starts
    # when they are due back, after admission + TTL.
    await store.set_policy(replace(slow, max_active=100, admit_per_minute=6000))
    await store.admit(T0 + 6)  # the first, by the tokens saved at the slow rate
    admitted_at = T0 + 7
    assert last in await store.admit(admitted_at)
    unclaimed = await store.view(last, admitted_at)
    assert unclaimed is not None
    assert unclaimed.active_until is not None
    window_ends = unclaimed.active_until
    assert window_ends > admitted_at + 30
    claimed = await store.authorize(last, window_ends - 1)
    assert claimed is not None
    assert (claimed.status, claimed.active_until) == (PassStatus.ACTIVE, window_ends)
    assert await status(store, last, window_ends - 0.5) is PassStatus.ACTIVE


async def test_authorizing_a_waiting_pass_claims_nothing(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=1))
    first, second = await join_fans(store, 2)
    await store.admit(T0 + 1)
    waiting = await store.authorize(second, T0 + 2)
    assert waiting is not None
    assert (waiting.status, waiting.position, waiting.active_until) == (PassStatus.WAITING, 1, None)
    assert await store.use_up(first, T0 + 3)
    await store.admit(T0 + 3)
    assert await store.view(second, T0 + 3 + 60) is None  # never claimed: the claim window only


async def test_a_fan_whose_pass_expired_joins_again_at_the_back(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=1, claim_seconds=60))
    first, second = await join_fans(store, 2)
    await store.admit(T0 + 1)
    view, created = await store.join(1, "second-chance", T0 + 61)
    assert (view.pass_id, created, view.position) == ("second-chance", True, 2)
    assert await positions(store, [first, second], T0 + 61) == [None, 1]
    assert (await store.stats(T0 + 61)).abandoned_total == 1


async def test_set_policy_is_seen_by_every_handle_on_the_room(open_store: OpenStore) -> None:
    store = await open_store()
    assert await store.get_policy() == DEFAULT_POLICY
    changed = policy(max_active=7, admit_per_minute=90, claim_seconds=20, opens_at=T0 + 123.456)
    await store.set_policy(changed)
    other = await open_store(policy(max_active=1))  # another instance: its default loses
    assert await other.get_policy() == changed
    reopened = policy(max_active=9, opens_at=None)
    await other.set_policy(reopened)
    assert await store.get_policy() == reopened


async def test_a_lower_rate_applies_to_the_tokens_already_saved(open_store: OpenStore) -> None:
    store = await open_store(policy(admit_per_minute=600))  # a burst of 50
    await join_fans(store, 20)
    await store.set_policy(policy(admit_per_minute=60))  # a burst of 5
    assert len(await store.admit(T0 + 5)) == 5


async def test_more_slots_admit_more_at_once(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=1))
    pass_ids = await join_fans(store, 5)
    assert await store.admit(T0 + 1) == pass_ids[:1]
    await store.set_policy(policy(max_active=3))
    assert await store.admit(T0 + 1) == pass_ids[1:3]


async def test_stats_give_the_room_s_figures(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=2, claim_seconds=60, active_ttl_seconds=600))
    first, second, third, *_ = await join_fans(store, 5)
    stats = await store.stats(T0)
    assert (stats.waiting, stats.active, stats.admitted_total, stats.prequeue) == (5, 0, 0, 0)
    # After both fans were due back (told 1 s at their joins): the windows start at admission.
    admitted_at = T0 + 2
    assert await store.admit(admitted_at) == [first, second]
    await store.authorize(first, admitted_at)
    stats = await store.stats(admitted_at + 59.5)
    assert (stats.waiting, stats.active, stats.admitted_last_minute) == (3, 2, 2)
    stats = await store.stats(admitted_at + 60)  # the second, never claimed, lapses now
    assert (stats.active, stats.admitted_last_minute) == (1, 0)
    assert (stats.expired_total, stats.abandoned_total) == (1, 1)
    assert await store.admit(admitted_at + 60) == [third]
    stats = await store.stats(admitted_at + 600)
    assert (stats.waiting, stats.active, stats.admitted_last_minute) == (2, 0, 0)
    assert (stats.admitted_total, stats.expired_total, stats.abandoned_total) == (3, 3, 2)


async def test_a_view_reports_the_admissions_of_the_last_minute(open_store: OpenStore) -> None:
    store = await open_store(policy(max_active=2))
    *_, last = await join_fans(store, 3)
    await store.admit(T0 + 1)
    view = await store.view(last, T0 + 2)
    assert view is not None
    assert (view.position, view.recent_admissions) == (1, 2)
    later = await store.view(last, T0 + 61)
    assert later is not None
    assert later.recent_admissions == 0


async def test_admissions_are_stamped_in_the_order_the_line_was_let_in(
    open_store: OpenStore,
) -> None:
    """Every instance admits on its own schedule with the `now` it read a moment before its
    step ran, so steps do not run in the order of their `now`: a step whose `now` is behind the
    last one's stamps its admissions with the last one's time, never earlier than a fan let in
    before them."""
    store = await open_store(policy(max_active=1))
    first, second, third = await join_fans(store, 3)
    assert await store.admit(T0 + 10) == [first]
    assert await store.use_up(first, T0 + 10)
    assert await store.admit(T0 + 9) == [second]  # read its `now` a second before the last step
    assert await store.admitted_since(T0) == [(first, T0 + 10), (second, T0 + 10)]
    lagging = await store.view(second, T0 + 9)
    assert lagging is not None
    assert lagging.active_until == T0 + 10 + DEFAULT_POLICY.claim_seconds
    # A step that is not behind stamps its own time.
    assert await store.use_up(second, T0 + 11)
    assert await store.admit(T0 + 11) == [third]
    assert (await store.admitted_since(T0 + 10))[-1] == (third, T0 + 11)


async def test_ping(open_store: OpenStore) -> None:
    store = await open_store()
    assert await store.ping()


async def test_admitted_since_lists_the_last_minutes_admissions_oldest_first(
    open_store: OpenStore,
) -> None:
    store = await open_store(policy(max_active=3))
    first, second, third, fourth = await join_fans(store, 4)
    assert await store.admitted_since(T0) == []
    assert await store.admit(T0 + 1) == [first, second, third]
    assert await store.leave(first, T0 + 2)
    assert await store.admit(T0 + 3) == [fourth]

    # Every admission after `since`, with its time, whatever became of the pass since.
    assert await store.admitted_since(T0) == [
        (first, T0 + 1), (second, T0 + 1), (third, T0 + 1), (fourth, T0 + 3),
    ]  # fmt: skip
    assert await store.admitted_since(T0 + 1) == [(fourth, T0 + 3)]
    assert await store.admitted_since(T0 + 3) == []
    # Another instance's handle sees the same admissions.
    assert await (await open_store()).admitted_since(T0 + 2) == [(fourth, T0 + 3)]

    # Admissions older than a minute are forgotten by the next admission (whose slot was
    # freed by the unclaimed passes' lapse).
    await store.join(50, "late", T0 + 100)
    assert await store.admit(T0 + 100) == ["late"]
    assert await store.admitted_since(T0) == [("late", T0 + 100)]


async def test_the_board_keeps_one_sample_a_slot_the_first_instance_s(
    open_store: OpenStore,
) -> None:
    store = await open_store(policy(max_active=2, claim_seconds=60, active_ttl_seconds=600))
    other = await open_store()  # another instance on the same room
    first, second, *_ = await join_fans(store, 5)
    await store.sample(100, T0)
    assert await store.admit(T0 + 1) == [first, second]
    await other.sample(100, T0 + 1)  # the slot has its sample: kept as it was
    await other.sample(101, T0 + 1)

    assert await store.samples_since(100) == {
        100: RoomSample(waiting=5, active=0, admitted_total=0),
        101: RoomSample(waiting=3, active=2, admitted_total=2),
    }
    assert await other.samples_since(101) == {101: RoomSample(3, 2, 2)}
    # Unclaimed passes lapse (60 s from when their fans were due back, T0 + 1 and T0 + 1.1, told
    # 1 s at their joins): the sample counts the room of its own instant.
    await store.sample(108, T0 + 62)
    assert (await store.samples_since(108))[108] == RoomSample(3, 0, 2)


async def test_the_board_drops_samples_past_the_ones_kept(open_store: OpenStore) -> None:
    store = await open_store()
    for slot in (10, 11, 12 + SAMPLES_KEPT - 2):
        await store.sample(slot, T0)
    assert sorted(await store.samples_since(0)) == [11, 12 + SAMPLES_KEPT - 2]
    await store.sample(12 + SAMPLES_KEPT, T0)
    assert sorted(await store.samples_since(0)) == [12 + SAMPLES_KEPT - 2, 12 + SAMPLES_KEPT]
