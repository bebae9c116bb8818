"""`boxoffice queue-depth`, Redis side: fill the line, time the store alone, clean up.

Synthetic passes go through `RedisWaitingRoomStore.join` itself, so the line holds exactly what
the server makes. One Python client answers ~8k joins/s when each call waits for its reply, so
`BatchingRedis` sends the commands of concurrent calls as pipelines, and the fill runs in several
processes. The join script itself costs Redis ~35 µs per call on this machine: a million passes
need about 35 s of Redis's one thread whatever the client does.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from time import perf_counter
from typing import Any

from redis.asyncio import Redis

# The one place the rush uses the product as a library, and only through the waiting-room store's
# public port: it times the store alone, without HTTP (tests/unit/test_rush_boundary.py).
from boxoffice.waiting_room.domain import QueuePolicy, RoomStats
from boxoffice.waiting_room.store_redis import RedisWaitingRoomStore

__all__ = ["HELD_POLICY", "SYNTHETIC_USER_BASE", "BatchingRedis", "RoomProbe", "run_range"]

# Real accounts are numbered by PostgreSQL from 1: these ids are never theirs.
SYNTHETIC_USER_BASE = 10**12
# Nobody is admitted past the one slot, and an admitted pass is never freed by its claim window.
HELD_POLICY = QueuePolicy(
    max_active=1, admit_per_minute=1, active_ttl_seconds=86_400, claim_seconds=86_400
)
_BATCH = 2000
_CALLS_IN_FLIGHT = 1000
_UNLINK_BATCH = 500  # small enough that no UNLINK holds the shared Redis for milliseconds


def synthetic(index: int) -> tuple[int, str]:
    """Synthetic pass `index`: its user id, and a pass id as long as the server's own."""
    return SYNTHETIC_USER_BASE + index, f"bench{index:017d}"


class BatchingRedis(Redis):
    """A client that sends the commands of concurrent callers together, as pipelines."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: list[tuple[tuple[Any, ...], dict[str, Any], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((args, options, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let every runnable caller queue its command first
        try:
            while self._pending:
                batch, self._pending = self._pending[:_BATCH], self._pending[_BATCH:]
                pipe = self.pipeline(transaction=False)
                for args, options, _ in batch:
                    pipe.execute_command(*args, **options)
                try:
                    replies = await pipe.execute(raise_on_error=False)
                except Exception as error:  # noqa: BLE001 - handed to every caller of the batch
                    replies = [error] * len(batch)
                for (_, _, future), reply in zip(batch, replies, strict=True):
                    if isinstance(reply, Exception):
                        future.set_exception(reply)
                    else:
                        future.set_result(reply)
        finally:
            self._flusher = None


async def _run_range_async(url: str, room: str, op: str, start: int, stop: int) -> None:
    client = BatchingRedis.from_url(url, decode_responses=True)
    store = RedisWaitingRoomStore(client, room=room, default_policy=HELD_POLICY)
    indexes = iter(range(start, stop))
    now = time.time()

    async def caller() -> None:
        for index in indexes:
            user_id, pass_id = synthetic(index)
            if op == "join":
                await store.join(user_id, pass_id, now)
            else:
                await store.leave(pass_id, now)

    try:
        await asyncio.gather(*(caller() for _ in range(_CALLS_IN_FLIGHT)))
    finally:
        await store.close()


def _run_range_process(url: str, room: str, op: str, start: int, stop: int) -> None:
    asyncio.run(_run_range_async(url, room, op, start, stop))


async def run_range(url: str, room: str, op: str, start: int, stop: int, processes: int) -> float:
    """`join` (or `leave`) synthetic passes start..stop-1 over `processes` processes; seconds."""
    began = perf_counter()
    if stop <= start:
        return 0.0
    step = -(-(stop - start) // processes)
    chunks = [(a, min(stop, a + step)) for a in range(start, stop, step)]
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=context) as pool:
        await asyncio.gather(
            *(
                loop.run_in_executor(pool, _run_range_process, url, room, op, a, b)
                for a, b in chunks
            )
        )
    return perf_counter() - began


class RoomProbe:
    """The room seen from Redis directly: the store called one call at a time, and Redis's INFO."""

    def __init__(self, url: str, room: str) -> None:
        self.url, self.room = url, room
        self.fresh = False  # set by the caller from is_fresh() before anything is written
        self.next_index = 0  # the next synthetic pass index not yet used
        self.prefix = f"bx:{{{room}}}:"
        self.redis = Redis.from_url(url, decode_responses=True)
        self.store = RedisWaitingRoomStore.from_url(
            url, room=room, default_policy=HELD_POLICY, pool_size=2
        )

    async def close(self) -> None:
        await self.store.close()
        await self.redis.aclose()

    async def is_fresh(self) -> bool:
        """No pass was ever made in this room (the join sequence is never deleted)."""
        return not await self.redis.exists(self.prefix + "seq")

    async def stats(self) -> RoomStats:
        return await self.store.stats(time.time())

    async def used_memory(self) -> int:
        return int((await self.redis.info("memory"))["used_memory"])

    async def _evalsha(self) -> tuple[int, int]:
        figures = (await self.redis.info("commandstats")).get("cmdstat_evalsha", {})
        return int(figures.get("calls", 0)), int(figures.get("usec", 0))

    async def hold_slot(self, index: int) -> None:
        """Put synthetic pass `index` first in line, and admit it if a slot is free."""
        user_id, pass_id = synthetic(index)
        await self.store.join(user_id, pass_id, time.time())
        await self.store.admit(time.time())

    async def time_store(
        self, start: int, count: int
    ) -> tuple[dict[str, list[float]], dict[str, float]]:
        """Join then view `count` new synthetic passes one call at a time; they leave after.

        Returns the latencies per operation and Redis's own µs per EVALSHA over each loop.
        """
        latencies: dict[str, list[float]] = {"join": [], "view": []}
        inside: dict[str, float] = {}
        for op in ("join", "view"):
            calls, usec = await self._evalsha()
            for index in range(start, start + count):
                user_id, pass_id = synthetic(index)
                began = perf_counter()
                if op == "join":
                    await self.store.join(user_id, pass_id, time.time())
                else:
                    await self.store.view(pass_id, time.time())
                latencies[op].append(perf_counter() - began)
            calls_after, usec_after = await self._evalsha()
            inside[op] = (usec_after - usec) / max(1, calls_after - calls)
        for index in range(start, start + count):
            await self.store.leave(synthetic(index)[1], time.time())
        return latencies, inside

    async def delete_room(self) -> int:
        """Unlink every key of the room (passes, line, policy, limits); how many."""
        deleted = 0
        batch: list[str] = []
        async for key in self.redis.scan_iter(match=self.prefix + "*", count=5000):
            batch.append(key)
            if len(batch) >= _UNLINK_BATCH:
                deleted += await self.redis.unlink(*batch)
                batch = []
        if batch:
            deleted += await self.redis.unlink(*batch)
        return deleted

    async def slowlog(self, since: float, until: float) -> list[tuple[str, float]]:
        """SLOWLOG entries from `since` to `until` (Unix s) that name this room: (what, ms)."""
        names = self.store.script_names()
        found: list[tuple[str, float]] = []
        for entry in await self.redis.slowlog_get(128):
            command = entry["command"]
            text = command.decode(errors="replace") if isinstance(command, bytes) else command
            if not since <= entry["start_time"] <= until or self.prefix not in text:
                continue
            words: Sequence[str] = text.split()
            what = words[0].upper()
            if what == "EVALSHA" and len(words) > 1:
                what = f"EVALSHA {names.get(words[1], words[1][:8])}"
            found.append((what, entry["duration"] / 1000))
        return found
