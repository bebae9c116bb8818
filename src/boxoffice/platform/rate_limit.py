"""Request limits shared by every instance: fixed-window counters and poll pacing.

The port has two adapters: this process's memory (the embedded default) and Redis (shared by
every instance, so a client cannot dodge a limit by spreading its requests over instances).
A check is one step (one round trip on Redis); a refused request counts nothing further.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import BlockingConnectionPool, Redis

# A pacing key that is never set, for checks that pace nothing.
NO_PACE = "pace:none"

# KEYS[1] the pacing key, KEYS[2..] counters; ARGV pairs of (window ms, limit) per counter.
_CHECK = """
local wait = redis.call('PTTL', KEYS[1])
if wait > 0 then return wait end
for i = 2, #KEYS do
  local window, limit = tonumber(ARGV[2 * i - 3]), tonumber(ARGV[2 * i - 2])
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('PEXPIRE', KEYS[i], window) end
  if count > limit then return math.max(1, redis.call('PTTL', KEYS[i])) end
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `limit` requests per `window_seconds` for `key`."""

    key: str
    limit: int
    window_seconds: float


class RateLimiter(Protocol):
    async def check(self, pace_key: str, limits: Sequence[Limit], now: float) -> float:
        """0 if the request may go on (and it is counted), else seconds to wait."""
        ...

    async def pace(self, key: str, seconds: float, now: float) -> None:
        """Ask the client behind `key` to wait `seconds` before its next request."""
        ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Limits for one process (the embedded default)."""

    _MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._paced: dict[str, float] = {}

    async def check(self, pace_key: str, limits: Sequence[Limit], now: float) -> float:
        wait = self._paced.get(pace_key, 0.0) - now
        if wait > 0:
            return wait
        for limit in limits:
            ends, count = self._windows.get(limit.key, (0.0, 0))
            if now >= ends:
                ends, count = now + limit.window_seconds, 0
            self._windows[limit.key] = (ends, count + 1)
            if count + 1 > limit.limit:
                return ends - now
        if len(self._windows) > self._MAX_KEYS:
            self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        return 0.0

    async def pace(self, key: str, seconds: float, now: float) -> None:
        if len(self._paced) > self._MAX_KEYS:
            self._paced = {k: until for k, until in self._paced.items() if until > now}
        self._paced[key] = now + seconds

    async def close(self) -> None:
        return None


class RedisRateLimiter:
    """Limits in Redis, shared by every instance; keys under the room's hash tag."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._check = client.register_script(_CHECK)

    @classmethod
    def from_url(cls, url: str, *, room: str, pool_size: int) -> RedisRateLimiter:
        # A blocking pool: under a burst, requests wait briefly for a connection, not fail.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=pool_size,
            timeout=5.0,
            socket_timeout=5.0,
            socket_connect_timeout=5.0,
            decode_responses=True,
        )
        return cls(Redis.from_pool(pool), f"bx:{{{room}}}:rl:")

    async def check(self, pace_key: str, limits: Sequence[Limit], now: float) -> float:
        keys = [self._prefix + pace_key, *(self._prefix + limit.key for limit in limits)]
        args: list[int] = []
        for limit in limits:
            args += [max(1, math.ceil(limit.window_seconds * 1000)), limit.limit]
        wait_ms = await self._check(keys=keys, args=args)
        return max(0.0, int(wait_ms) / 1000)

    async def pace(self, key: str, seconds: float, now: float) -> None:
        await self._client.set(self._prefix + key, 1, px=max(1, math.ceil(seconds * 1000)))

    async def close(self) -> None:
        await self._client.aclose()
