"""A small per-process cache for hot reads: one computation per key at a time, stale on write.

Each entry belongs to a time bucket of the service clock, so it lives at most one bucket (a
second or so): a write made elsewhere shows within it. A write in this process either amends
the entries it affects in place (`amend`: the seat map, which knows what a hold did to it) and
shows in the next read, or makes them stale: a stale entry is computed again by the first read
once it is `refresh_seconds` old (0: at once), which under a rush of holds keeps a listing from
being read again on nearly every request. The decision to sell never reads from it: only
listings do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

_MAX_ENTRIES = 10_000

Value = TypeVar("Value")


@dataclass(slots=True)
class _Entry(Generic[Value]):
    bucket: int
    started_at: float  # monotonic: when the computation began, so its data is no older
    value: asyncio.Future[Value]
    stale: bool = False
    # Writes here known while the value was being computed, applied to it once computed.
    amendments: list[Callable[[Value], None]] = field(default_factory=list)


class HotReadCache(Generic[Value]):
    """Rendered listings by key, such as a date's seat map, for one process."""

    def __init__(
        self, refresh_seconds: float = 0.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        # Ages come from a monotonic clock, not the service clock: tests set that one at will
        # and a wall clock can step, yet a stale entry must come due after real time passes.
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._entries: dict[Hashable, _Entry[Value]] = {}
        self._pruned_bucket: int | None = None  # the last bucket that dropped earlier ones

    def __len__(self) -> int:
        """Entries kept (of this bucket, and earlier ones until the next computation)."""
        return len(self._entries)

    async def get(
        self, key: Hashable, bucket: int, compute: Callable[[], Awaitable[Value]]
    ) -> Value:
        """The value of `key` in `bucket`, computed once however many ask for it at once."""
        found = self._entries.get(key)
        if found is not None and found.bucket == bucket and not self._due(found):
            try:
                return await asyncio.shield(found.value)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not found.value.cancelled() or (task is not None and task.cancelling()):
                    raise
                # The request computing it was cancelled (its deadline, say), not this one:
                # this one computes it.
                return await self.get(key, bucket, compute)
        if self._pruned_bucket is None or bucket > self._pruned_bucket:
            # The first computation of a bucket drops the entries of earlier ones, never read
            # again (a seat map keeps its date's layout and bodies: megabytes for a big hall).
            self._entries = {k: e for k, e in self._entries.items() if e.bucket >= bucket}
            self._pruned_bucket = bucket
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        future: asyncio.Future[Value] = asyncio.get_running_loop().create_future()
        entry = _Entry(bucket, self._monotonic(), future)
        self._entries[key] = entry
        try:
            value = await compute()
        except BaseException as error:
            if self._entries.get(key) is entry:
                del self._entries[key]
            if isinstance(error, asyncio.CancelledError):
                entry.value.cancel()  # the waiters compute it themselves (above)
            else:
                entry.value.set_exception(error)
                entry.value.exception()  # marked retrieved: the waiters re-raise it themselves
            raise
        for amend in entry.amendments:
            amend(value)
        entry.amendments.clear()
        entry.value.set_result(value)
        return value

    def amend(self, key: Hashable, change: Callable[[Value], None]) -> None:
        """After a write here whose effect on `key`'s value is known: `change` the value in
        place, at once, or, while it is being computed, as soon as it is (the computation may
        have read the database before the write). A read after the write sees it either way."""
        found = self._entries.get(key)
        if found is None:
            return
        if not found.value.done():
            found.amendments.append(change)
        elif not found.value.cancelled() and found.value.exception() is None:
            change(found.value.result())

    def clear(self) -> None:
        """After a write here whose effect is not known: every key is computed again."""
        self._entries.clear()

    def invalidate(self, key: Hashable) -> None:
        """After a write here that changes `key`: drop it if old enough, else mark it stale."""
        found = self._entries.get(key)
        if found is None:
            return
        if self._age(found) >= self._refresh_seconds:
            del self._entries[key]
        else:
            found.stale = True

    def invalidate_all(self) -> None:
        """After a write here that may change any key."""
        # One entry per date or list read this second: a handful, so a pass over them is cheap.
        for key in list(self._entries):
            self.invalidate(key)

    def _age(self, entry: _Entry[Value]) -> float:
        return self._monotonic() - entry.started_at

    def _due(self, entry: _Entry[Value]) -> bool:
        """True when a write made `entry` stale and it is old enough to compute again."""
        return entry.stale and self._age(entry) >= self._refresh_seconds
