"""Request limits shared by every instance: fixed-window counters and poll pacing.

The port has two adapters: this process's memory (the embedded default) and Redis (shared by
every instance, so a client cannot dodge a limit by spreading its requests over instances).
A check is one step (one round trip on Redis); a refused request counts nothing further.
The check is also offered as a building block (`check_now`, `LUA_CHECK_FUNCTION`) to a store
that checks limits in the same step as its own work, as the waiting room's status poll does.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from boxoffice.platform.errors import RateLimited
from boxoffice.platform.metrics import REFUSED
from boxoffice.platform.redis import RedisClient, redis_client

# A pacing key that is never set, for checks that pace nothing.
NO_PACE = "pace:none"


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `limit` requests per `window_seconds` for `key`."""

    key: str
    limit: int
    window_seconds: float

    @classmethod
    def per_minute(cls, key: str, limit: int) -> Limit:
        """Every limit the settings name is per minute."""
        return cls(key, limit, 60.0)


class RateLimiter(Protocol):
    async def check(self, pace_key: str, limits: Sequence[Limit], now: float) -> float:
        """0 if the request may go on (and it is counted), else seconds to wait."""
        ...

    async def pace(self, key: str, seconds: float, now: float) -> None:
        """Ask the client behind `key` to wait `seconds` before its next request."""
        ...

    async def give_back(self, limit: Limit, now: float) -> None:
        """Take back one request counted on `limit` in its current window (an attempt that
        turned out not to count, such as a log-in with the right password)."""
        ...

    async def close(self) -> None: ...


class _Pruning:
    """When a per-key table past its bound is pruned of ended entries: once a second, or sooner
    once it has doubled since the last pruning. Not on every request: entries all still live
    (many clients in one minute) would be scanned again each time, and kept."""

    def __init__(self) -> None:
        self._kept = 0
        self._at = -math.inf

    def due(self, size: int, bound: int, now: float) -> bool:
        return size > bound and (size > 2 * self._kept or now >= self._at + 1.0)

    def done(self, kept: int, now: float) -> None:
        self._kept, self._at = kept, now


class MemoryRateLimiter:
    """Limits for one process (the embedded default)."""

    _MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self._paced: dict[str, float] = {}
        self._windows_pruning = _Pruning()
        self._paced_pruning = _Pruning()

    async def check(self, pace_key: str, limits: Sequence[Limit], now: float) -> float:
        return self.check_now(pace_key, limits, now)

    async def pace(self, key: str, seconds: float, now: float) -> None:
        self.pace_now(key, seconds, now)

    async def give_back(self, limit: Limit, now: float) -> None:
        ends, count = self._windows.get(limit.key, (0.0, 0))
        if now < ends and count > 0:
            self._windows[limit.key] = (ends, count - 1)

    def check_now(self, pace_key: str, limits: Sequence[Limit], now: float) -> float:
        """`check` without yielding to the event loop, for a caller whose step must stay atomic."""
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
        if self._windows_pruning.due(len(self._windows), self._MAX_KEYS, now):
            self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
            self._windows_pruning.done(len(self._windows), now)
        return 0.0

    def paced_for(self, key: str, now: float) -> float:
        """Seconds the client behind `key` is still asked to wait (0: none)."""
        return max(0.0, self._paced.get(key, 0.0) - now)

    def pace_now(self, key: str, seconds: float, now: float) -> None:
        """`pace` without yielding to the event loop."""
        if self._paced_pruning.due(len(self._paced), self._MAX_KEYS, now):
            self._paced = {k: until for k, until in self._paced.items() if until > now}
            self._paced_pruning.done(len(self._paced), now)
        self._paced[key] = now + seconds

    async def close(self) -> None:
        return None


# The Redis check as a Lua function, for this adapter's script and for a script of another
# store that checks limits in its own atomic step. The pace first, then each counter in turn; a
# refused request counts on no further counter. Returns 0, or the milliseconds to wait.
LUA_CHECK_FUNCTION = """
-- The counters are KEYS[first_key..], each with (window ms, limit) from ARGV[first_arg..].
local function check_limits(pace_key, first_key, first_arg)
  local wait = redis.call('PTTL', pace_key)
  if wait > 0 then return wait end
  for i = 0, #KEYS - first_key do
    local key = KEYS[first_key + i]
    local window = tonumber(ARGV[first_arg + 2 * i])
    local limit = tonumber(ARGV[first_arg + 2 * i + 1])
    local count = redis.call('INCR', key)
    if count == 1 then redis.call('PEXPIRE', key, window) end
    if count > limit then return math.max(1, redis.call('PTTL', key)) end
  end
  return 0
end
"""

# KEYS[1] the pacing key, KEYS[2..] counters; ARGV as `redis_counter_args` gives them.
_CHECK = LUA_CHECK_FUNCTION + "return check_limits(KEYS[1], 2, 1)\n"


# Decrement a live counter, never below zero and never one whose window has ended (it is gone).
_GIVE_BACK = """
if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
"""


def lua_script_names() -> dict[str, str]:
    """The limiter's Lua scripts by the SHA1 that EVALSHA names them with (in SLOWLOG, say)."""
    scripts = {_CHECK: "rate-limit check", _GIVE_BACK: "rate-limit give back"}
    return {
        hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest(): name
        for source, name in scripts.items()
    }


def redis_key_prefix(room: str) -> str:
    """The prefix of every limiter key in Redis: in a namespace of its own under the waiting
    room's hash tag, so limits and room share one Cluster slot and one script may touch both."""
    return f"bx:{{{room}}}:rl:"


def redis_counter_args(limits: Sequence[Limit]) -> list[int]:
    """The counters' ARGV of `check_limits`: (window in ms, limit) per counter."""
    args: list[int] = []
    for limit in limits:
        args += [max(1, math.ceil(limit.window_seconds * 1000)), limit.limit]
    return args


def _pace_ms(seconds: float) -> int:
    """A pace as the PX of the pacing key: whole milliseconds, at least one."""
    return max(1, math.ceil(seconds * 1000))


class RedisRateLimiter:
    """Limits in Redis, shared by every instance; keys under the room's hash tag."""

    def __init__(self, client: RedisClient, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._check = client.register_script(_CHECK)
        self._give_back = client.register_script(_GIVE_BACK)

    @classmethod
    def from_url(
        cls, url: str, *, room: str, pool_size: int, timeout_seconds: float = 5.0
    ) -> RedisRateLimiter:
        # A blocking pool: under a burst, requests wait briefly for a connection, not fail.
        client = redis_client(url, pool_size=pool_size, timeout_seconds=timeout_seconds)
        return cls(client, redis_key_prefix(room))

    async def check(self, pace_key: str, limits: Sequence[Limit], now: float) -> float:
        keys = [self._prefix + pace_key, *(self._prefix + limit.key for limit in limits)]
        wait_ms = await self._check(keys=keys, args=redis_counter_args(limits))
        return max(0.0, int(wait_ms) / 1000)

    async def pace(self, key: str, seconds: float, now: float) -> None:
        await self._client.set(self._prefix + key, 1, px=_pace_ms(seconds))

    async def give_back(self, limit: Limit, now: float) -> None:
        await self._give_back(keys=[self._prefix + limit.key])

    async def close(self) -> None:
        await self._client.aclose()


class Lockout:
    """At most `limit` failed attempts of one kind (wrong passwords for a username, wrong admin
    keys from an address) per key a minute. Every attempt is counted *before* it is tried, in
    the same step as any per-request counters, and given back only once it succeeded: so
    attempts sent all at once cannot slip past the count while the first ones are still being
    checked, and the attempt past the limit is refused untried (429) for the rest of the
    minute, the right one too, so a locked key learns nothing from its next guesses."""

    def __init__(self, limiter: RateLimiter, kind: str, limit: int) -> None:
        self._limiter = limiter
        self._kind = kind
        self._limit = limit

    def _failures(self, key: str) -> Limit:
        return Limit.per_minute(f"failed:{self._kind}:{key}", self._limit)

    async def attempt(self, key: str, now: float, counters: Sequence[Limit] = ()) -> float:
        """0 if the attempt may be tried (counted, with `counters`), else seconds to wait."""
        limits = [*counters, self._failures(key)] if self._limit else list(counters)
        if not limits:
            return 0.0
        return await self._limiter.check(NO_PACE, limits, now)

    async def succeeded(self, key: str, now: float) -> None:
        """The attempt was right: it is not a failure."""
        if self._limit:
            await self._limiter.give_back(self._failures(key), now)


def refused(kind: str, wait: float, reason: str) -> RateLimited:
    """429 RATE_LIMITED ("<reason>: wait N s.") with Retry-After N in whole seconds, counted by
    kind."""
    REFUSED.labels(kind).inc()
    retry_after = max(1, math.ceil(wait))
    return RateLimited(f"{reason}: wait {retry_after} s.", retry_after=retry_after)
