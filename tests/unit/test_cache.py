"""The hot-read cache: one computation per key at a time, stale after a write here, re-rendered at
most once per refresh floor, and never kept past its time bucket."""

from __future__ import annotations

import asyncio

import pytest

from boxoffice.platform.cache import HotReadCache
from boxoffice.settings import Settings

KEY = 7
BUCKET = 100
FLOOR = 0.25  # like every step below, exact in binary: ages compare exactly


class Monotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 5_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Renderer:
    """Renders `seat map #n` on its n-th call; `gate`, when set, holds every render until opened."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> bytes:
        self.calls += 1
        rendered = f"seat map #{self.calls}".encode()
        if self.gate is not None:
            await self.gate.wait()
        return rendered


@pytest.fixture
def clock() -> Monotonic:
    return Monotonic()


@pytest.fixture
def render() -> Renderer:
    return Renderer()


def _write_to_key(cache: HotReadCache) -> None:
    cache.invalidate(KEY)


def _write_to_every_key(cache: HotReadCache) -> None:
    cache.invalidate_all()


WRITES = pytest.mark.parametrize(
    "write", [_write_to_key, _write_to_every_key], ids=["one key", "every key"]
)


async def test_a_value_is_computed_once_per_bucket(clock, render) -> None:
    cache = HotReadCache(FLOOR, clock)

    first = await cache.get(KEY, BUCKET, render)
    clock.advance(0.5)

    assert await cache.get(KEY, BUCKET, render) == first == b"seat map #1"
    assert render.calls == 1


@WRITES
async def test_with_no_floor_a_write_drops_the_entry_at_once(clock, render, write) -> None:
    cache = HotReadCache(0, clock)
    await cache.get(KEY, BUCKET, render)

    write(cache)

    assert await cache.get(KEY, BUCKET, render) == b"seat map #2"


@WRITES
async def test_within_the_floor_a_write_keeps_the_old_value_until_the_floor_passes(
    clock, render, write
) -> None:
    cache = HotReadCache(FLOOR, clock)
    await cache.get(KEY, BUCKET, render)
    clock.advance(0.0625)

    write(cache)
    clock.advance(0.125)  # rendered 0.1875 s ago

    assert await cache.get(KEY, BUCKET, render) == b"seat map #1"
    clock.advance(0.0625)  # now the floor's age: the next read renders again
    assert await cache.get(KEY, BUCKET, render) == b"seat map #2"
    assert await cache.get(KEY, BUCKET, render) == b"seat map #2"
    assert render.calls == 2


@WRITES
async def test_a_write_to_an_entry_older_than_the_floor_drops_it_at_once(
    clock, render, write
) -> None:
    cache = HotReadCache(FLOOR, clock)
    await cache.get(KEY, BUCKET, render)
    clock.advance(FLOOR)

    write(cache)

    assert await cache.get(KEY, BUCKET, render) == b"seat map #2"


async def test_a_write_to_one_key_leaves_the_others(clock, render) -> None:
    cache = HotReadCache(0, clock)
    await cache.get(KEY, BUCKET, render)

    cache.invalidate(KEY + 1)

    assert await cache.get(KEY, BUCKET, render) == b"seat map #1"


async def test_a_write_during_a_render_is_not_lost(clock, render) -> None:
    cache = HotReadCache(FLOOR, clock)
    render.gate = asyncio.Event()
    reading = asyncio.create_task(cache.get(KEY, BUCKET, render))
    await asyncio.sleep(0)  # the render has read the seats and is still serializing them

    cache.invalidate(KEY)
    render.gate.set()
    assert await reading == b"seat map #1"
    clock.advance(FLOOR)

    assert await cache.get(KEY, BUCKET, render) == b"seat map #2"


async def test_readers_at_once_share_one_computation(clock, render) -> None:
    cache = HotReadCache(FLOOR, clock)
    render.gate = asyncio.Event()

    readers = [asyncio.create_task(cache.get(KEY, BUCKET, render)) for _ in range(20)]
    await asyncio.sleep(0)
    render.gate.set()

    assert set(await asyncio.gather(*readers)) == {b"seat map #1"}
    assert render.calls == 1


async def test_readers_at_once_share_one_render_after_a_write(clock, render) -> None:
    cache = HotReadCache(FLOOR, clock)
    await cache.get(KEY, BUCKET, render)
    cache.invalidate(KEY)
    clock.advance(FLOOR)
    render.gate = asyncio.Event()

    readers = [asyncio.create_task(cache.get(KEY, BUCKET, render)) for _ in range(20)]
    await asyncio.sleep(0)
    render.gate.set()

    assert set(await asyncio.gather(*readers)) == {b"seat map #2"}
    assert render.calls == 2


async def test_a_new_bucket_computes_again_whatever_the_floor(clock, render) -> None:
    cache = HotReadCache(FLOOR, clock)
    await cache.get(KEY, BUCKET, render)

    assert await cache.get(KEY, BUCKET + 1, render) == b"seat map #2"


async def test_a_failed_computation_is_not_kept(clock, render) -> None:
    cache = HotReadCache(FLOOR, clock)

    async def fail() -> bytes:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        await cache.get(KEY, BUCKET, fail)

    assert await cache.get(KEY, BUCKET, render) == b"seat map #1"


async def test_a_computation_cancelled_with_its_request_is_computed_again_for_the_others(
    clock, render
) -> None:
    cache = HotReadCache(FLOOR, clock)
    started = asyncio.Event()

    async def slow() -> bytes:
        started.set()
        await asyncio.sleep(3600)  # PostgreSQL slow: the request's deadline comes first
        return b"never"

    first = asyncio.ensure_future(cache.get(KEY, BUCKET, slow))
    await started.wait()
    second = asyncio.ensure_future(cache.get(KEY, BUCKET, render))  # waits on the first's
    await asyncio.sleep(0)
    first.cancel()

    with pytest.raises(asyncio.CancelledError):
        await first
    # Not the first request's cancellation: the second computes the value itself.
    assert await second == b"seat map #1"
    assert await cache.get(KEY, BUCKET, render) == b"seat map #1"


async def test_entries_of_earlier_buckets_are_dropped_by_the_next_bucket_s_first_computation(
    clock, render
) -> None:
    cache = HotReadCache(FLOOR, clock)
    for key in (1, 2, 3):
        await cache.get(key, BUCKET, render)
    assert len(cache) == 3

    await cache.get(1, BUCKET + 1, render)

    assert len(cache) == 1


def test_the_refresh_floor_defaults_to_a_fifth_of_a_second(monkeypatch) -> None:
    monkeypatch.delenv("BOXOFFICE_HOT_READ_REFRESH_SECONDS", raising=False)
    monkeypatch.delenv("BOXOFFICE_HOT_READ_SECONDS", raising=False)

    assert Settings().hot_read_refresh_seconds == 0.2


@pytest.mark.parametrize("refresh_seconds", [-0.1, 1.5])
def test_a_refresh_floor_outside_the_entries_lifetime_is_refused(refresh_seconds) -> None:
    with pytest.raises(ValueError):
        Settings(hot_read_seconds=1.0, hot_read_refresh_seconds=refresh_seconds)


class Amendable:
    """A value written to in place: the writes it was told of, in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.writes: list[str] = []


async def test_an_amendment_changes_the_value_in_place_and_reads_see_it(clock) -> None:
    cache: HotReadCache[Amendable] = HotReadCache(FLOOR, clock)
    computed = 0

    async def compute() -> Amendable:
        nonlocal computed
        computed += 1
        return Amendable(f"#{computed}")

    first = await cache.get(KEY, BUCKET, compute)
    cache.amend(KEY, lambda value: value.writes.append("held 2"))
    cache.amend(KEY + 1, lambda value: value.writes.append("never cached"))
    again = await cache.get(KEY, BUCKET, compute)

    assert again is first
    assert (computed, again.writes) == (1, ["held 2"])


async def test_an_amendment_during_the_computation_reaches_every_reader(clock) -> None:
    """The computation may have read the database before the write: the write is applied to
    its value before any reader, early or late, gets it."""
    cache: HotReadCache[Amendable] = HotReadCache(FLOOR, clock)
    gate = asyncio.Event()

    async def compute() -> Amendable:
        await gate.wait()
        return Amendable("read before the write")

    early = asyncio.create_task(cache.get(KEY, BUCKET, compute))
    await asyncio.sleep(0)
    cache.amend(KEY, lambda value: value.writes.append("held 2"))
    late = asyncio.create_task(cache.get(KEY, BUCKET, compute))
    await asyncio.sleep(0)
    gate.set()

    assert (await early).writes == ["held 2"]
    assert await late is await early


async def test_clearing_makes_the_next_read_compute_again(clock, render) -> None:
    cache: HotReadCache[bytes] = HotReadCache(FLOOR, clock)
    await cache.get(KEY, BUCKET, render)

    cache.clear()

    assert await cache.get(KEY, BUCKET, render) == b"seat map #2"
