"""The per-process admission watch that wakes event streams (on the in-process store)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from boxoffice.waiting_room.admissions import CLOCK_SLACK_SECONDS, AdmissionWatch
from boxoffice.waiting_room.domain import QueuePolicy
from boxoffice.waiting_room.store_memory import MemoryWaitingRoomStore

T0 = 1_700_000_000.0
POLICY = QueuePolicy(max_active=10, admit_per_minute=6000, active_ttl_seconds=60, claim_seconds=30)
SOON = 2.0  # how long a test waits for something that must happen, before it fails


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class CountingStore(MemoryWaitingRoomStore):
    """The in-process store, counting the watch's reads and the `since` each one asked for."""

    def __init__(self) -> None:
        super().__init__(POLICY)
        self.reads: list[float] = []

    async def admitted_since(self, since: float) -> list[tuple[str, float]]:
        self.reads.append(since)
        return await super().admitted_since(since)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> CountingStore:
    return CountingStore()


OpenWatch = Callable[[float], AdmissionWatch]


@pytest.fixture
async def open_watch(store: CountingStore, clock: Clock) -> AsyncIterator[OpenWatch]:
    """Watches over `store` reading every `interval` seconds, closed after the test."""
    watches: list[AdmissionWatch] = []

    def open_(interval: float) -> AdmissionWatch:
        watches.append(AdmissionWatch(lambda: [store], clock, interval))
        return watches[-1]

    yield open_
    for watch in watches:
        await watch.close()


async def join(store: CountingStore, user_id: int) -> str:
    view, _ = await store.join(user_id, f"pass-{user_id}", T0)
    return view.pass_id


async def fan_waiting(watch: AdmissionWatch, store: CountingStore) -> asyncio.Task[None]:
    """A fan joins the line and waits on the watch for admission (the task ends on it)."""
    pass_id = await join(store, 1)
    waiter = asyncio.create_task(watch.wait(pass_id))
    await asyncio.sleep(0)
    return waiter


async def test_a_waiter_wakes_when_any_instance_admits_its_pass(
    open_watch: OpenWatch, store: CountingStore, clock: Clock
) -> None:
    watch = open_watch(0.01)
    waiter = await fan_waiting(watch, store)
    await asyncio.sleep(0.05)
    assert not waiter.done()  # read, and not admitted yet

    assert await store.admit(T0 + 1) == ["pass-1"]  # as another instance would: no notify here
    clock.now = T0 + 1.2

    await asyncio.wait_for(waiter, SOON)


async def test_each_read_asks_only_for_what_came_since_the_last_one(
    open_watch: OpenWatch, store: CountingStore, clock: Clock
) -> None:
    watch = open_watch(60)
    waiter = await fan_waiting(watch, store)
    await watch.read_once()
    clock.now = T0 + 5
    await watch.read_once()

    # The first read looks back from now, each later one from the read before it, both with
    # the slack that lets a lagging instance's admissions be seen.
    assert store.reads[-2:] == [T0 - CLOCK_SLACK_SECONDS, T0 - CLOCK_SLACK_SECONDS]
    clock.now = T0 + 7
    await watch.read_once()
    assert store.reads[-1] == T0 + 5 - CLOCK_SLACK_SECONDS
    waiter.cancel()


async def test_notify_wakes_every_waiter_on_the_pass_and_no_other(open_watch: OpenWatch) -> None:
    watch = open_watch(60)
    first = [asyncio.create_task(watch.wait("a")) for _ in range(2)]  # two tabs, one pass
    other = asyncio.create_task(watch.wait("b"))
    await asyncio.sleep(0)
    assert watch.waiting == 2

    watch.notify(["a", "unknown"])

    await asyncio.wait_for(asyncio.gather(*first), SOON)
    assert not other.done()
    assert watch.waiting == 1
    other.cancel()


async def test_a_waiter_that_times_out_leaves_nothing_behind(
    open_watch: OpenWatch, store: CountingStore
) -> None:
    watch = open_watch(0.01)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await watch.wait("never")

    assert watch.waiting == 0
    await asyncio.sleep(0.05)  # the reader notices no one waits and stops
    reads = len(store.reads)
    await asyncio.sleep(0.05)
    assert len(store.reads) == reads


async def test_the_reader_outlives_a_failing_store_and_starts_again_for_new_waiters(
    open_watch: OpenWatch, store: CountingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = open_watch(0.01)
    real_read = store.admitted_since
    failures = 0

    async def flaky(since: float) -> list[tuple[str, float]]:
        nonlocal failures
        if failures < 3:
            failures += 1
            raise ConnectionError("store down")
        return await real_read(since)

    monkeypatch.setattr(store, "admitted_since", flaky)
    waiter = await fan_waiting(watch, store)
    await store.admit(T0 + 0.5)

    await asyncio.wait_for(waiter, SOON)
    assert failures == 3

    # No one waits now, so the reader stops; a later waiter starts it again.
    await asyncio.sleep(0.05)
    second = await join(store, 2)
    later = asyncio.create_task(watch.wait(second))
    await store.admit(T0 + 0.6)
    await asyncio.wait_for(later, SOON)
