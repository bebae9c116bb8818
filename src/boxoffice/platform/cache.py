"""A small per-process cache for hot reads: one computation per key at a time, dropped on write.

Each entry belongs to a time bucket of the service clock, so it lives at most one bucket (a
second or so); a write in this process drops the entries it affects at once. The decision to
sell never reads from it: only listings do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable

_MAX_ENTRIES = 10_000


class HotReadCache:
    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[int, asyncio.Future[bytes]]] = {}

    async def get(
        self, key: Hashable, bucket: int, compute: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """The value of `key` in `bucket`, computed once however many ask for it at once."""
        found = self._entries.get(key)
        if found is not None and found[0] == bucket:
            return await asyncio.shield(found[1])
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        entry: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._entries[key] = (bucket, entry)
        try:
            value = await compute()
        except BaseException as error:
            if self._entries.get(key, (None, None))[1] is entry:
                del self._entries[key]
            entry.set_exception(error)
            entry.exception()  # marked retrieved: the waiters re-raise it themselves
            raise
        entry.set_result(value)
        return value

    def drop(self, key: Hashable) -> None:
        """Forget `key` (after a write in this process that changes it)."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
