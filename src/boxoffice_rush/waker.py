"""Sleeps and streams that end early, all at once, when the sale sells out or the rush stops."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["Waker"]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Waker:
    """Fans waiting in line sleep here, so one call sends them all home at once.

    Cheaper than a task per sleeper racing an Event: a sleep is one future and one timer.
    """

    def __init__(self) -> None:
        self.woken = False
        self._sleepers: set[asyncio.Future[None]] = set()
        self._watched: set[asyncio.Task[Any]] = set()

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds`, or less if woken meanwhile; at once if already woken."""
        if self.woken:
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(seconds, _resolve, future)
        self._sleepers.add(future)
        try:
            await future
        finally:
            handle.cancel()
            self._sleepers.discard(future)

    def watch(self, task: asyncio.Task[Any]) -> None:
        """Cancel `task` when woken (an open event stream, say)."""
        if self.woken:
            task.cancel()
        else:
            self._watched.add(task)

    def unwatch(self, task: asyncio.Task[Any]) -> None:
        """Stop watching `task`."""
        self._watched.discard(task)

    def wake_all(self) -> None:
        """End every sleep and watched task now, and every later sleep at once."""
        self.woken = True
        for future in list(self._sleepers):
            _resolve(future)
        for task in list(self._watched):
            task.cancel()
