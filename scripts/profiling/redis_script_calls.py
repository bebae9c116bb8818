"""What a Lua script call costs this process in redis-py: alone, and in pipelines of 2-16.

    .venv/bin/python scripts/profiling/redis_script_calls.py [REDIS_URL]

Sixteen tasks call a script that touches nothing (with the 10 keys and 11 arguments of a status
poll) 16,000 times, as a busy worker's requests would, and the process's CPU time per call is
printed, three rounds each: the client's cost around a command, which platform/redis_batching.py
shares among the calls of a pipeline. Default Redis: 127.0.0.1:6379, database 15 (nothing is
written).
"""

from __future__ import annotations

import asyncio
import sys
import time

import uvloop
from redis.asyncio import BlockingConnectionPool, Redis

CALLS = 16_000
TASKS = 16
KEYS = [f"bx:{{profile}}:key{i}" for i in range(10)]
ARGS = ["bx:{profile}:", 1000, 30000, 60, 300, 2.5, "pass-id", 1_733_450_000.123, 0.01, 60000, 9]


async def _round(url: str, batch: int) -> list[float]:
    pool = BlockingConnectionPool.from_url(
        url, max_connections=TASKS, timeout=5, socket_timeout=5, decode_responses=True
    )
    client = Redis.from_pool(pool)
    script = client.register_script("return {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}")
    await script(keys=KEYS, args=ARGS)

    async def once() -> None:
        if batch == 1:
            await script(keys=KEYS, args=ARGS)
            return
        async with client.pipeline(transaction=False) as pipe:
            for _ in range(batch):
                pipe.evalsha(script.sha, len(KEYS), *KEYS, *ARGS)
            await pipe.execute()

    async def task(rounds: int) -> None:
        for _ in range(rounds):
            await once()

    rounds = CALLS // batch // TASKS
    await asyncio.gather(*(task(max(1, rounds // 4)) for _ in range(TASKS)))  # warm
    figures = []
    for _ in range(3):
        started = time.process_time()
        await asyncio.gather(*(task(rounds) for _ in range(TASKS)))
        figures.append((time.process_time() - started) / (rounds * batch * TASKS) * 1e6)
    await client.aclose()
    return figures


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/15"
    print("client CPU µs per script call (three rounds)")
    for batch in (1, 2, 4, 8, 16):
        figures = uvloop.run(_round(url, batch))
        label = "alone" if batch == 1 else f"pipelines of {batch}"
        print(f"{label:<16} " + " ".join(f"{figure:6.1f}" for figure in figures))


if __name__ == "__main__":
    main()
