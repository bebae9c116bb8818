"""Which line covers a concert, and how fresh each process's knowledge of the lines is."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice.waiting_room.domain import QueuePolicy
from boxoffice.waiting_room.lines import HOUSE, Lines, LineSet, LineStores, line_label
from boxoffice.waiting_room.store_memory import MemoryWaitingRoomStore

POLICY = QueuePolicy(max_active=5, admit_per_minute=60, active_ttl_seconds=60, claim_seconds=30)


def test_a_concert_is_covered_by_its_own_line_else_by_the_house_line() -> None:
    lines = LineSet(own=frozenset({3, 7}), closing_since={7: 0.0})
    assert lines.covering(3) == 3
    assert lines.covering(7) == 7  # closing: still its own until it is empty
    assert lines.covering(5) is HOUSE
    assert lines.joining(3) == 3
    assert lines.joining(7) is HOUSE  # a closing line takes no one
    assert lines.joining(5) is HOUSE
    assert lines.lines() == (HOUSE, 3, 7)
    assert lines.opens(3, 3)
    assert not lines.opens(3, HOUSE)
    assert lines.opens(7, 7)
    assert lines.opens(7, HOUSE)  # closing: late fans joined the house line
    assert lines.opens(5, HOUSE)
    assert not lines.opens(5, 3)
    assert [line_label(line) for line in lines.lines()] == ["house", "3", "7"]


class CountingRecords:
    def __init__(self) -> None:
        self.own: set[int] = set()
        self.reads = 0

    async def read(self) -> LineSet:
        self.reads += 1
        return LineSet(own=frozenset(self.own))

    async def open(self, concert_id: int, now: float) -> None:
        self.own.add(concert_id)

    async def close(self, concert_id: int, now: float) -> None:
        pass

    async def end(self, concert_id: int) -> None:
        self.own.discard(concert_id)


async def test_the_lines_are_read_once_per_freshness_window_and_at_once_after_a_change() -> None:
    records = CountingRecords()
    lines = Lines(records, fresh_seconds=60)
    assert (await lines.current()).own == frozenset()
    assert (await lines.current()).own == frozenset()
    assert records.reads == 1

    records.own.add(4)  # written by another instance: not seen until the window ends
    assert (await lines.current()).own == frozenset()
    await lines.open(9, 0.0)  # a change made here is read back at once
    assert (await lines.current()).own == frozenset({4, 9})
    assert records.reads == 2


async def test_a_zero_window_reads_every_time() -> None:
    records = CountingRecords()
    lines = Lines(records, fresh_seconds=0)
    for _ in range(3):
        await lines.current()
    assert records.reads == 3


@pytest.mark.parametrize("line", [HOUSE, 12])
async def test_each_line_has_a_store_of_its_own_made_once(line: int | None) -> None:
    house = MemoryWaitingRoomStore(POLICY)
    made: list[int] = []

    def make(concert_id: int) -> MemoryWaitingRoomStore:
        made.append(concert_id)
        return MemoryWaitingRoomStore(POLICY)

    stores = LineStores(house, make)
    store = stores.of(line)
    assert stores.of(line) is store
    assert (store is house) == (line is HOUSE)
    assert made == ([] if line is HOUSE else [line])
    if line is not None:
        stores.forget(line)
        assert stores.of(line) is not store  # made anew after its line ended
    await stores.close()


async def test_a_read_at_once_reads_again_within_the_window() -> None:
    records = CountingRecords()
    lines = Lines(records, fresh_seconds=60)
    await lines.current()
    records.own.add(4)  # given on another instance
    assert (await lines.current(at_once=True)).own == frozenset({4})
    assert records.reads == 2


async def test_a_read_under_way_when_a_change_is_made_here_is_not_kept() -> None:
    records = CountingRecords()
    lines = Lines(records, fresh_seconds=60)
    release = asyncio.Event()
    read_once = records.read

    async def slow_first_read() -> LineSet:
        if records.reads == 0:
            found = await read_once()  # the table as it was: no line yet
            await release.wait()
            return found
        return await read_once()

    records.read = slow_first_read  # type: ignore[method-assign]
    reading = asyncio.create_task(lines.current())
    await asyncio.sleep(0)
    await lines.open(5, 0.0)  # made here while the read is under way
    release.set()

    assert (await reading).own == frozenset({5})
    assert (await lines.current()).own == frozenset({5})
