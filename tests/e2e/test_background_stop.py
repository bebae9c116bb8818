"""The background loops stop when the lifespan cancels them, whatever they were doing.

At shutdown the lifespan cancels the admission loop and the sweeper and waits for both; a loop
that swallowed its cancellation would keep the process alive until it is killed (a rolling
restart saw an instance hang 20 s that way). The admission loop waits for a wake-up that any
join or payment may send: the dangerous moment is a wake-up in the same turn as the cancel,
which `asyncio.wait_for` of Python 3.11 answers by returning, the cancellation lost.
"""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest

from boxoffice import background
from boxoffice.background import admission_loop, sweep_once, sweeper_loop
from boxoffice.bootstrap import Container

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
