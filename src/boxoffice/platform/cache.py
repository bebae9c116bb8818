"""A small per-process cache for hot reads: one computation per key at a time, stale on write.

Each entry belongs to a time bucket of the service clock, so it lives at most one bucket (a
second or so). A write in this process makes the entries it affects stale; a stale entry is
computed again by the first read once it is `refresh_seconds` old (0: at once). Under a rush of
holds that keeps a 5,000-seat map from being read and serialized again on nearly every request,
while a fan still sees a write here within `refresh_seconds`. The decision to sell never reads
from it: only listings do.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

_MAX_ENTRIES = 10_000

Value = TypeVar("Value")


@dataclass(slots=True)
class _Entry(Generic[Value]):
    bucket: int
    started_at: float  # monotonic: when the computation began, so its data is no older
    value: asyncio.Future[Value]
    stale: bool = False


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

    async def get(
        self, key: Hashable, bucket: int, compute: Callable[[], Awaitable[Value]]
    ) -> Value:
        """The value of `key` in `bucket`, computed once however many ask for it at once."""
        found = self._entries.get(key)
        if found is not None and found.bucket == bucket and not self._due(found):
            return await asyncio.shield(found.value)
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
            entry.value.set_exception(error)
            entry.value.exception()  # marked retrieved: the waiters re-raise it themselves
            raise
        entry.value.set_result(value)
        return value

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
