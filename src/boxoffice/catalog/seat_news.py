"""Seat news: the seat changes each process made, passed to every other process through Redis, so
that their seat maps show a hold, payment or cancel made elsewhere within a fraction of a second
rather than at their next read from PostgreSQL (once a second, `HOT_READ_SECONDS`).

Each process sends what its own writes did (`SeatNews.tell`, queued: nothing is sent on a fan's
request) and reads what the others did, both in one loop (`background.seat_news_loop`): a Redis
stream, appended to and read from like the admissions of the waiting room
(`waiting_room/admissions.py`), so no connection is held open and a Redis restart costs the news
of its own moment only. News is a hint for listings, never a fact: lost, late or out of order, it
is put right by the maps' next read from the database, within the second as before; and it never
overrides what a write of the process itself did to a seat (`SeatMap.change`). The decision to
sell never reads a map. Without Redis (one process) there is no one to tell.
"""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass
from typing import Any

import orjson

from boxoffice.catalog.domain import SeatStatus
from boxoffice.platform.redis import RedisClient, redis_client

__all__ = ["RedisSeatNews", "SeatChange", "SeatNews"]

# Kept in the stream for processes that read late; trimmed approximately past it.
_STREAM_LENGTH = 10_000
# Changes queued to send at most; past it the oldest are dropped (maps catch up by reading).
_QUEUED = 10_000
_READ_COUNT = 1_000


@dataclass(frozen=True, slots=True)
class SeatChange:
    """Seats of a date now in `status` (None: found taken, shown held if shown free), or, with
    no date, any seat of any date (holds expired): maps are read again."""

    schedule_id: int | None
    numbers: tuple[int, ...] = ()
    status: SeatStatus | None = None


def encode(origin: str, change: SeatChange) -> bytes:
    status = None if change.status is None else change.status.value
    return orjson.dumps({"o": origin, "d": change.schedule_id, "n": change.numbers, "s": status})


def decode(payload: str | bytes) -> tuple[str, SeatChange]:
    fields: dict[str, Any] = orjson.loads(payload)
    status = None if fields["s"] is None else SeatStatus(fields["s"])
    return str(fields["o"]), SeatChange(fields["d"], tuple(fields["n"]), status)


class SeatNews:
    """This process's end of the news: what it tells waits in a queue until the loop sends it."""

    def __init__(self, redis: RedisSeatNews) -> None:
        self._redis = redis
        self.origin = secrets.token_hex(8)  # this process, so that it skips its own news
        self._outbox: deque[bytes] = deque(maxlen=_QUEUED)
        self._last_id = "$"  # only news from after this process began

    def tell(self, change: SeatChange) -> None:
        """Queue a change this process made (committed) for the others; returns at once."""
        self._outbox.append(encode(self.origin, change))

    async def exchange(self) -> list[SeatChange]:
        """Send what was queued, then read what the other processes told since the last read."""
        if self._outbox:
            sending = list(self._outbox)
            self._outbox.clear()
            await self._redis.append(sending)
        self._last_id, news = await self._redis.read_after(self._last_id)
        changes = []
        for payload in news:
            origin, change = decode(payload)
            if origin != self.origin:
                changes.append(change)
        return changes

    async def close(self) -> None:
        await self._redis.close()


class RedisSeatNews:
    """The stream of seat news of one room, `bx:{room}:seat-news` (the room's hash tag)."""

    def __init__(self, client: RedisClient, *, room: str) -> None:
        self._client = client
        self._key = f"bx:{{{room}}}:seat-news"

    @classmethod
    def from_url(
        cls, url: str, *, room: str, pool_size: int, timeout_seconds: float
    ) -> RedisSeatNews:
        client = redis_client(url, pool_size=pool_size, timeout_seconds=timeout_seconds)
        return cls(client, room=room)

    async def append(self, payloads: list[bytes]) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            for payload in payloads:
                pipe.xadd(self._key, {"c": payload}, maxlen=_STREAM_LENGTH, approximate=True)
            await pipe.execute()

    async def read_after(self, last_id: str) -> tuple[str, list[str]]:
        """The news after `last_id` ('$': none yet, only from now on), and the id to go on from."""
        if last_id == "$":
            newest = await self._client.xrevrange(self._key, count=1)
            return (str(newest[0][0]) if newest else "0-0"), []
        found: Any = await self._client.xread({self._key: last_id}, count=_READ_COUNT)
        if not found:
            return last_id, []
        entries = found[0][1]
        return str(entries[-1][0]), [str(fields["c"]) for _, fields in entries]

    async def close(self) -> None:
        await self._client.aclose()
