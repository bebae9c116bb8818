"""The caps on open event streams, per pass and per account, in one process."""

from __future__ import annotations

from boxoffice.waiting_room.stream_slots import StreamSlots


def test_a_cap_of_one_stream_a_pass_keeps_the_account_cap_too() -> None:
    """Replacing the pass's only stream emptied the account's list, and the new stream was
    once counted in the list that had just been dropped: the account's cap then held nothing."""
    slots = StreamSlots(per_pass=1, per_account=2)

    slots.open(7, "pass-a")
    reloaded = slots.open(7, "pass-a")
    assert slots.count(user_id=7) == 1
    others = [slots.open(7, "pass-b"), slots.open(7, "pass-c")]

    open_now = [slot for slot in (reloaded, *others) if not slot.replaced]
    assert len(open_now) == slots.count(user_id=7) == 2
    assert [slot.pass_id for slot in open_now] == ["pass-b", "pass-c"]


def test_each_cap_keeps_the_newest_streams() -> None:
    slots = StreamSlots(per_pass=2, per_account=3)

    first, second, third = (slots.open(1, "p") for _ in range(3))
    other = slots.open(1, "q")
    fifth = slots.open(1, "q")

    assert first.replaced  # the pass's cap
    assert second.replaced  # the account's cap, when q's second stream came
    assert not third.replaced
    assert not other.replaced
    assert not fifth.replaced
    assert slots.count(user_id=1) == 3
