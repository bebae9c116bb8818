"""Fans sleeping in line are all sent home at once when the sale sells out."""

from __future__ import annotations

import asyncio
from time import perf_counter

from boxoffice_rush.waker import Waker


async def test_wake_all_ends_every_sleep_and_later_ones_at_once() -> None:
    waker = Waker()
    started = perf_counter()
    sleepers = [asyncio.ensure_future(waker.sleep(30)) for _ in range(100)]
    await asyncio.sleep(0.01)
    waker.wake_all()
    await asyncio.gather(*sleepers)
    await waker.sleep(30)
    assert perf_counter() - started < 5


async def test_a_watched_task_is_cancelled_when_woken() -> None:
    waker = Waker()
    task = asyncio.ensure_future(asyncio.sleep(30))
    waker.watch(task)
    waker.wake_all()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()


async def test_a_sleep_without_waking_lasts_its_time() -> None:
    started = perf_counter()
    await Waker().sleep(0.05)
    assert perf_counter() - started >= 0.04
