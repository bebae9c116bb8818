"""Caps on the event streams one pass and one account hold open in this process.

Past a cap the oldest stream is closed, not the new one refused: the new one is the page the fan
is looking at (a reload, a phone back on the network), the oldest most likely a tab closed or a
connection half dead that the server has not noticed yet. A refusal would send that fan to
polling for nothing, while someone opening streams in a loop gains nothing either way: the
streams they hold stay at the cap. The closed stream gets a `replaced` event whose `retry:`
asks a client that does not know the event to wait a minute before it connects again, so two
stale tabs do not take the stream from each other in a loop.

Per process, not shared through Redis: what an open stream costs (a connection, a task, a place
among the process's waiters) is the process's, and each process holds at most the caps per pass
and account, however the load balancer spreads them. How often streams may be opened at all is
shared: a browser needs a stream ticket for each, and tickets are counted per account by the
rate limiter every instance shares (`waiting_room.stream_access`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TypeVar

from prometheus_client import Counter, Gauge

__all__ = ["StreamSlot", "StreamSlots"]

OPEN = Gauge(
    "boxoffice_queue_streams_open",
    "Event streams open in this process.",
    multiprocess_mode="livesum",
)
REPLACED = Counter(
    "boxoffice_queue_streams_replaced_total",
    "Event streams closed because their pass or account opened one more than its cap.",
)

K = TypeVar("K", str, int)


@dataclass(eq=False)
class StreamSlot:
    """One open stream's place under the caps; `replaced` once a newer one took it."""

    user_id: int
    pass_id: str
    replaced: bool = False
    _bounds: set[asyncio.Timeout] = field(default_factory=set)

    def replace(self) -> None:
        """A newer stream took this one's place: end the wait it is in, and any later one."""
        self.replaced = True
        for bound in self._bounds:
            if not bound.expired():
                bound.reschedule(0)

    @contextlib.asynccontextmanager
    async def bound(self) -> AsyncIterator[None]:
        """A wait that ends (TimeoutError) the moment this stream is replaced."""
        async with asyncio.timeout(0 if self.replaced else None) as bound:
            self._bounds.add(bound)
            try:
                yield
            finally:
                self._bounds.discard(bound)


class StreamSlots:
    """The open streams of this process by pass and by account, each kept within its cap."""

    def __init__(self, per_pass: int, per_account: int) -> None:
        self._per_pass = per_pass
        self._per_account = per_account
        self._by_pass: dict[str, list[StreamSlot]] = {}
        self._by_account: dict[int, list[StreamSlot]] = {}

    def open(self, user_id: int, pass_id: str) -> StreamSlot:
        """Take a place for a new stream, replacing the oldest over either cap."""
        slot = StreamSlot(user_id, pass_id)
        # Each index looked up in turn: replacing a slot under one cap may drop the other
        # index's (then empty) list, which a list taken beforehand would no longer be.
        slots = self._by_pass.setdefault(pass_id, [])
        slots.append(slot)
        while len(slots) > self._per_pass:
            self._replace(slots[0])
        slots = self._by_account.setdefault(user_id, [])
        slots.append(slot)
        while len(slots) > self._per_account:
            self._replace(slots[0])
        OPEN.inc()
        return slot

    def close(self, slot: StreamSlot) -> None:
        """The stream ended (or was replaced): its place is free."""
        if self._drop(slot):
            OPEN.dec()

    def count(self, *, pass_id: str | None = None, user_id: int | None = None) -> int:
        """Open streams of a pass or of an account."""
        if pass_id is not None:
            return len(self._by_pass.get(pass_id, ()))
        return len(self._by_account.get(user_id, ())) if user_id is not None else 0

    def _replace(self, slot: StreamSlot) -> None:
        self.close(slot)
        slot.replace()
        REPLACED.inc()

    def _drop(self, slot: StreamSlot) -> bool:
        of_pass = _without(self._by_pass, slot.pass_id, slot)
        of_account = _without(self._by_account, slot.user_id, slot)
        return of_pass or of_account


def _without(index: dict[K, list[StreamSlot]], key: K, slot: StreamSlot) -> bool:
    """Take `slot` out of `index[key]` (dropping the key once empty); False if it was not in."""
    slots = index.get(key)
    if slots is None or slot not in slots:
        return False
    slots.remove(slot)
    if not slots:
        del index[key]
    return True
