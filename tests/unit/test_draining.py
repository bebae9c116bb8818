"""Draining: the signal that stops the process wakes the waits of event streams at once."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from types import FrameType

import pytest

from boxoffice.platform.draining import Draining

LONG = 60.0  # a wait no test sits out: ending early is the draining's doing
SOON = 2.0  # how long a test waits for something that must happen, before it fails


async def _wait_under(draining: Draining) -> str:
    try:
        async with draining.timeout(LONG):
            await asyncio.Event().wait()  # nothing else ever ends this wait
    except TimeoutError:
        return "expired"
    return "woken"


async def test_starting_to_drain_expires_every_wait_under_its_timeout() -> None:
    draining = Draining()
    waits = [asyncio.create_task(_wait_under(draining)) for _ in range(3)]
    await asyncio.sleep(0)  # every wait is entered
    assert not any(wait.done() for wait in waits)

    draining.start()

    assert await asyncio.wait_for(asyncio.gather(*waits), SOON) == ["expired"] * 3
    assert draining.started


async def test_a_wait_begun_while_draining_expires_at_once() -> None:
    draining = Draining()
    draining.start()

    started = time.monotonic()
    assert await asyncio.wait_for(_wait_under(draining), SOON) == "expired"
    assert time.monotonic() - started < SOON


async def test_without_draining_the_timeout_is_the_plain_one() -> None:
    draining = Draining()

    async with draining.timeout(LONG):
        await asyncio.sleep(0)  # done well before its timeout: no error
    with pytest.raises(TimeoutError):
        async with draining.timeout(0.01):
            await asyncio.Event().wait()
    # A wait that expired by itself, and one running out while draining starts, are no error.
    racing = asyncio.create_task(_wait_under(draining))
    await asyncio.sleep(0)
    draining.start()
    draining.start()  # twice: the second finds the wait expiring already
    assert await asyncio.wait_for(racing, SOON) == "expired"


async def test_sigterm_starts_draining_and_goes_on_to_the_servers_own_handler() -> None:
    heard: list[int] = []

    def server_handler(signum: int, frame: FrameType | None) -> None:
        heard.append(signum)  # as uvicorn's handle_exit: it notes the signal and returns

    before = signal.signal(signal.SIGTERM, server_handler)
    try:
        draining = Draining()
        with draining.on_signals():
            assert signal.getsignal(signal.SIGTERM) is not server_handler
            waiting = asyncio.create_task(_wait_under(draining))
            await asyncio.sleep(0)

            signal.raise_signal(signal.SIGTERM)

            assert heard == [signal.SIGTERM]  # the server's handler ran, in the signal
            assert await asyncio.wait_for(waiting, SOON) == "expired"
            assert draining.started
        # Once the lifespan is over, the server's handler is back as it was.
        assert signal.getsignal(signal.SIGTERM) is server_handler
    finally:
        signal.signal(signal.SIGTERM, before)


async def test_a_signal_with_no_python_handler_is_left_alone() -> None:
    # Without a server's handler SIGTERM ends the process: there is no drain to hurry.
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with Draining().on_signals():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before)


def test_outside_the_main_thread_no_signal_is_hooked() -> None:
    # An app run by a test client in a thread of its own cannot set handlers: it must not try.
    handlers_before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    seen: list[object] = []

    async def enter() -> None:
        with Draining().on_signals():
            seen.append(signal.getsignal(signal.SIGINT))
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=asyncio.run, args=(enter(),))
    thread.start()
    thread.join(SOON)

    assert seen == list(handlers_before)
