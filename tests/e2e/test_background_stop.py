"""The background loops stop when the lifespan cancels them, whatever they were doing.

At shutdown the lifespan cancels the admission loop and the sweeper and waits for both; a loop
that swallowed its cancellation would keep the process alive until it is killed (a rolling
restart saw an instance hang 20 s that way). The admission loop waits for a wake-up that any
join or payment may send: the dangerous moment is a wake-up in the same turn as the cancel,
which `asyncio.wait_for` of Python 3.11 answers by returning, the cancellation lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Literal

import pytest

from boxoffice import app as app_module
from boxoffice import background
from boxoffice.background import admission_loop, sweep_once, sweeper_loop
from boxoffice.bootstrap import Container
from boxoffice.settings import Settings

from .test_queue_stream import PATIENCE, until


class TracedEvent(asyncio.Event):
    """An asyncio.Event that tells whether someone waits on it right now."""

    waiting = False

    async def wait(self) -> Literal[True]:
        self.waiting = True
        try:
            return await super().wait()
        finally:
            self.waiting = False


async def _stops_when_cancelled(task: asyncio.Task[None]) -> bool:
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    if not done:
        task.cancel()  # once more, so that the test leaves nothing running behind it
        await asyncio.wait({task}, timeout=PATIENCE)
    return bool(done) and task.cancelled()


async def test_the_admission_loop_stops_when_cancelled_as_it_is_woken(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    wakeup = TracedEvent()
    monkeypatch.setattr(container, "admission_wakeup", wakeup)
    loop = asyncio.create_task(admission_loop(container))
    await until(lambda: wakeup.waiting, "the loop waits for a wake-up")

    wakeup.set()  # a join or a payment, in the same turn as the shutdown's cancel

    assert await _stops_when_cancelled(loop), "the admission loop went on after its cancel"


async def test_the_admission_loop_stops_when_cancelled_while_waiting(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    wakeup = TracedEvent()
    monkeypatch.setattr(container, "admission_wakeup", wakeup)
    loop = asyncio.create_task(admission_loop(container))
    await until(lambda: wakeup.waiting, "the loop waits for a wake-up")

    assert await _stops_when_cancelled(loop)


async def test_the_sweeper_stops_when_cancelled_between_sweeps(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    swept = asyncio.Event()

    async def sweep_and_tell(container: Container) -> int:
        found = await sweep_once(container)
        swept.set()
        return found

    monkeypatch.setattr(background, "sweep_once", sweep_and_tell)
    sweeper = asyncio.create_task(sweeper_loop(container))
    await asyncio.wait_for(swept.wait(), PATIENCE)  # now waiting for its next round

    assert await _stops_when_cancelled(sweeper)


async def test_the_admission_loop_stops_when_a_store_call_lost_its_cancel(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As redis-py under Python 3.11's wait_for does when the cancel lands as a send completes:
    the call returns normally, the CancelledError dropped, the task's cancel request still
    counted (platform/cancellation.py)."""
    in_call = asyncio.Event()
    lost = 0

    async def admit_losing_the_cancel(now: float) -> list[str]:
        nonlocal lost
        in_call.set()
        try:
            await asyncio.sleep(PATIENCE)
        except asyncio.CancelledError:
            if lost:  # once: a second cancel (the test's clean-up) gets through
                raise
            lost += 1
        return []

    monkeypatch.setattr(container.store, "admit", admit_losing_the_cancel)
    loop = asyncio.create_task(admission_loop(container))
    await asyncio.wait_for(in_call.wait(), PATIENCE)

    assert await _stops_when_cancelled(loop), "the admission loop went on after a lost cancel"


async def test_the_lifespan_stops_even_if_a_loop_never_does(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backstop: a loop that swallows every cancel is logged and left, not waited for."""
    started, released = asyncio.Event(), asyncio.Event()

    async def stubborn(_: Container) -> None:
        started.set()
        while not released.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(60)

    monkeypatch.setattr(app_module, "admission_loop", stubborn)
    monkeypatch.setattr(app_module, "BACKGROUND_STOP_SECONDS", 0.2, raising=False)
    app = app_module.create_app(settings)

    async def start_and_stop() -> None:
        async with app.router.lifespan_context(app):
            await started.wait()

    lifespan = asyncio.create_task(start_and_stop())
    done, _ = await asyncio.wait({lifespan}, timeout=PATIENCE)
    left = [task for task in asyncio.all_tasks() if task.get_name() == "admission"]
    released.set()  # leave nothing behind: the stubborn loop ends with the test
    for task in left:
        task.cancel()
    await asyncio.wait({lifespan, *left}, timeout=PATIENCE)

    assert done, "the lifespan waited for a loop that would not stop"
    assert len(left) == 1, "the lifespan left the loop that would not stop, and went on"
