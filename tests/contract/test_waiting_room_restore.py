"""A lost store: passes come back to their places, in order, once, and only from a lost room.

`lost` opens a second, empty room of the same kind: what a new, empty Redis (or a restarted
embedded server) is to the passes of the first. Every test runs on both stores.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from boxoffice.waiting_room.domain import (
    PassPlace,
    PassStatus,
    PassView,
    RestoreOutcome,
    advise,
    claim_deadline,
    sequence_floor,
)
from boxoffice.waiting_room.store import WaitingRoomStore
from tests.contract.helpers import T0, join_fans, places, policy
from tests.contract.rooms import DEFAULT_POLICY, MemoryRoom, RedisRoom
from tests.servers import drop_room_async

RECOVERY = 40.0
LATER = T0 + 100  # the store was lost, and made anew, a while after the fans joined

OpenRoom = Callable[[], Awaitable[WaitingRoomStore]]


@pytest.fixture(params=["memory", "redis"])
async def new_room(request: pytest.FixtureRequest) -> AsyncIterator[OpenRoom]:
    """Opens rooms of one kind, each a store of its own (nothing shared between them)."""
    rooms: list[MemoryRoom | RedisRoom] = []

    async def open_room() -> WaitingRoomStore:
        room = MemoryRoom() if request.param == "memory" else RedisRoom()
        rooms.append(room)
        return await room.open(policy(max_active=2))

    yield open_room
    for room in rooms:
        await room.drop()


def _place(view: PassView) -> PassPlace:
    """What the fan's signed pass carries of this view."""
    return PassPlace(view.pass_id, view.user_id, view.joined_at, view.place)


async def _joined(store: WaitingRoomStore, count: int) -> list[PassPlace]:
    pass_ids = await join_fans(store, count)
    views = [await store.view(pass_id, T0 + 1) for pass_id in pass_ids]
    return [_place(view) for view in views if view is not None]


async def _restore(store: WaitingRoomStore, place: PassPlace, now: float = LATER) -> RestoreOutcome:
    checked = await store.restore(place, now, RECOVERY, commit=False)
    if checked.outcome is not RestoreOutcome.RESTORABLE:
        return checked.outcome
    return (await store.restore(place, now, RECOVERY, commit=True)).outcome


async def test_places_are_join_sequences_from_the_time_strictly_increasing(
    new_room: OpenRoom,
) -> None:
    store = await new_room()
    joined = await _joined(store, 4)
    assert [p.place for p in joined] == sorted({p.place for p in joined})
    assert all(p.place >= sequence_floor(p.joined_at) for p in joined)


async def test_passes_of_a_lost_room_come_back_in_their_order_whoever_comes_first(
    new_room: OpenRoom,
) -> None:
    lost = await new_room()
    joined = await _joined(lost, 6)
    store = await new_room()
    newcomer, _ = await store.join(99, "after-the-loss", LATER)

    for place in (joined[3], joined[0], joined[5], joined[1], joined[4], joined[2]):
        assert await _restore(store, place) is RestoreOutcome.RESTORED
    assert await places(store, [p.pass_id for p in joined], LATER) == [1, 2, 3, 4, 5, 6]
    assert (await store.view(newcomer.pass_id, LATER)).position == 7  # type: ignore[union-attr]
    view = await store.view(joined[0].pass_id, LATER)
    assert view is not None
    assert (view.status, view.user_id, view.joined_at, view.place) == (
        PassStatus.WAITING,
        joined[0].user_id,
        joined[0].joined_at,
        joined[0].place,
    )


async def test_admission_waits_out_the_recovery_then_takes_the_restored_head(
    new_room: OpenRoom,
) -> None:
    lost = await new_room()
    joined = await _joined(lost, 3)
    store = await new_room()
    await store.join(99, "after-the-loss", LATER - 1)
    assert await _restore(store, joined[2]) is RestoreOutcome.RESTORED

    assert await store.admit(LATER + RECOVERY - 1) == []
    assert await _restore(store, joined[0], LATER + 10) is RestoreOutcome.RESTORED
    assert await store.admit(LATER + RECOVERY) == [joined[0].pass_id, joined[2].pass_id]


async def test_a_restored_pass_lives_unclaimed_a_window_from_when_its_fan_is_due_back(
    new_room: OpenRoom,
) -> None:
    lost = await new_room()
    [place] = await _joined(lost, 1)
    store = await new_room()
    restored = await store.restore(place, LATER, 0.0, commit=True)  # no pause, for the test
    assert restored.view is not None
    told = advise(restored.view, LATER).poll_after_seconds  # what the fan's answer says
    assert await store.admit(LATER + 0.5) == [place.pass_id]  # before the fan is due back
    admitted = await store.view(place.pass_id, LATER + 0.5)
    assert admitted is not None
    window = policy(max_active=2).claim_window_seconds
    assert admitted.active_until == claim_deadline(LATER + 0.5, LATER + told, window)


async def test_a_pass_comes_back_once(new_room: OpenRoom) -> None:
    lost = await new_room()
    (place,) = await _joined(lost, 1)
    store = await new_room()
    assert await _restore(store, place) is RestoreOutcome.RESTORED
    assert await _restore(store, place) is RestoreOutcome.LIVE
    assert await store.leave(place.pass_id, LATER + 1)
    assert await _restore(store, place, LATER + 2) is RestoreOutcome.ENDED


async def test_a_pass_this_room_issued_never_comes_back_once_ended(new_room: OpenRoom) -> None:
    store = await new_room()
    left, used = await _joined(store, 2)
    assert await store.leave(left.pass_id, T0 + 2)
    assert await store.admit(T0 + 3) == [used.pass_id]
    assert await store.use_up(used.pass_id, T0 + 4)
    assert await _restore(store, left, T0 + 5) is RestoreOutcome.ENDED
    assert await _restore(store, used, T0 + 5) is RestoreOutcome.ENDED
    assert (await store.stats(T0 + 5)).waiting == 0


async def test_a_fan_with_another_live_pass_keeps_that_one(new_room: OpenRoom) -> None:
    lost = await new_room()
    (place,) = await _joined(lost, 1)
    store = await new_room()
    again, created = await store.join(place.user_id, "joined-again", LATER)
    assert created
    assert await _restore(store, place) is RestoreOutcome.SUPERSEDED
    assert await store.view(place.pass_id, LATER) is None
    assert (await store.view(again.pass_id, LATER)) is not None


async def test_checking_changes_nothing(new_room: OpenRoom) -> None:
    lost = await new_room()
    (place,) = await _joined(lost, 1)
    store = await new_room()
    checked = await store.restore(place, LATER, RECOVERY, commit=False)
    assert checked.outcome is RestoreOutcome.RESTORABLE
    assert await store.view(place.pass_id, LATER) is None
    assert (await store.stats(LATER)).waiting == 0
    await store.join(99, "newcomer", LATER)
    assert await store.admit(LATER + 1) != [], "no restore yet: no recovery pause"


async def test_a_pre_queue_pass_comes_back_at_the_opening_ahead_of_later_joiners(
    new_room: OpenRoom,
) -> None:
    opening = T0 + 50
    lost = await new_room()
    await lost.set_policy(policy(max_active=2, opens_at=opening))
    (early,) = await _joined(lost, 1)
    assert early.place == sequence_floor(opening)
    store = await new_room()  # the sale opened meanwhile; the new room knows no opening
    await store.set_policy(DEFAULT_POLICY)
    newcomer, _ = await store.join(99, "after-the-opening", LATER)
    assert await _restore(store, early) is RestoreOutcome.RESTORED
    assert await places(store, [early.pass_id, newcomer.pass_id], LATER) == [1, 2]


async def test_a_replaced_room_holds_admission_until_the_lost_line_is_back(
    redis_room: RedisRoom,
) -> None:
    """A fan who joins the new room before any fan of the lost one came back waits too."""
    store = await redis_room.open(policy(max_active=2))
    await join_fans(store, 2)
    mark = await store.hold_if_replaced("", T0 + 1, RECOVERY)
    assert mark != ""
    assert await store.hold_if_replaced(mark, T0 + 1, RECOVERY) == mark
    assert len(await store.admit(T0 + 1)) == 2, "the room this instance knows: nothing held"

    await drop_room_async(redis_room.url, redis_room.name)  # Redis lost the room
    newcomer, _ = await store.join(99, "first-after-the-loss", LATER)

    assert await store.hold_if_replaced(mark, LATER, RECOVERY) != mark
    assert await store.admit(LATER + 1) == []
    assert await store.admit(LATER + RECOVERY) == [newcomer.pass_id]


async def test_an_instance_that_never_saw_the_room_holds_nothing(new_room: OpenRoom) -> None:
    store = await new_room()
    (joined,) = await join_fans(store, 1)
    mark = await store.hold_if_replaced("", T0 + 1, RECOVERY)
    assert await store.hold_if_replaced(mark, T0 + 1, RECOVERY) == mark
    assert await store.admit(T0 + 1) == [joined]
