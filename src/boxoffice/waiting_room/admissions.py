"""Who was let in, read once per process for every event stream the process serves.

A waiting fan on the event stream must hear of admission within a second, whichever instance
admitted them. Reading each fan's pass that often costs one store step per stream per interval:
20,000 streams at 0.5 s would be 40,000 steps a second. Instead one reader per process asks the
store every interval for the passes admitted since its last read (a few dozen ids) and wakes the
streams waiting on those. Admissions made by this process's own admission loop wake them at once.

This is a hint, never the answer: a woken stream reads its pass as usual, and a stream that is
never woken (its admission was missed, say by an instance whose clock is far behind) still reads
its pass at the pace a polling fan would, so it is at worst as late as polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import structlog

from boxoffice.platform.cancellation import stop_if_cancelled
from boxoffice.platform.logging import Failing
from boxoffice.waiting_room.store import WaitingRoomStore

__all__ = ["AdmissionWatch"]

_log = structlog.get_logger(__name__)

# Each read looks back this far before the previous one, so that an admission stamped by an
# instance whose clock is behind this one's by up to this much is still seen.
CLOCK_SLACK_SECONDS = 2.0


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class AdmissionWatch:
    """Wakes the waiters on a pass when the store says it was admitted.

    The reader runs only while someone waits: it starts with the first waiter and stops after
    the last one is gone.
    """

    def __init__(
        self,
        stores: Callable[[], Iterable[WaitingRoomStore]],
        clock: Callable[[], float],
        interval: float,
    ) -> None:
        """`stores()`: the store of every line this process knows, asked at each read."""
        self._stores = stores
        self._clock = clock
        self._interval = interval
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._last_read: float | None = None
        self._reader: asyncio.Task[None] | None = None
        self._failing = Failing(_log, "admission_watch_failed")

    @property
    def waiting(self) -> int:
        """How many passes are waited on in this process."""
        return len(self._waiters)

    async def wait(self, pass_id: str) -> None:
        """Return once `pass_id` is seen admitted (bound it with `asyncio.timeout`)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiters = self._waiters.setdefault(pass_id, set())
        waiters.add(future)
        if self._reader is None or self._reader.done():
            self._reader = loop.create_task(self._read_while_waited(), name="admission-watch")
        try:
            await future
        finally:
            waiters.discard(future)
            if not waiters and self._waiters.get(pass_id) is waiters:
                del self._waiters[pass_id]

    def notify(self, pass_ids: Iterable[str]) -> None:
        """These passes were admitted: wake whoever waits on them here."""
        for pass_id in pass_ids:
            for future in self._waiters.pop(pass_id, ()):
                _settle(future)

    async def read_once(self) -> None:
        """Ask each line's store whom it admitted since the last read, and wake their
        waiters (one read per line: pass ids are unique across lines)."""
        now = self._clock()
        since = (now if self._last_read is None else self._last_read) - CLOCK_SLACK_SECONDS
        self._last_read = now
        for store in self._stores():
            admitted = await store.admitted_since(since)
            self.notify(pass_id for pass_id, _ in admitted)

    async def close(self) -> None:
        """Stop the reader; waiters then wait for their own timeouts."""
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read_while_waited(self) -> None:
        # No await between the emptiness check and the return: a waiter arriving later finds
        # this task done and starts another.
        while self._waiters:
            try:
                await self.read_once()
                self._failing.succeeded()
            except Exception as error:  # noqa: BLE001 - streams fall back on their own reads
                self._failing.failed(error)
            stop_if_cancelled()  # a cancel the store's call lost (platform/cancellation.py)
            await asyncio.sleep(self._interval)
        self._last_read = None
