"""A command whose pooled connection is closed under it, by another task of the process, fails
as a Redis error (the request answers 503, and the client may retry), never as a 500.

redis-py's cluster client closes every node's connections, those in use by other requests too,
when one command meets CLUSTERDOWN or a slot not covered (a failover, a cluster still forming).
A command then between its connection check and its write found the writer gone, and redis-py
8.1 raised AttributeError ("'NoneType' object has no attribute 'writelines'"), which no retry
catches and the service answered 500 (CI at ffde0ec,
tests/integration/test_lines_on_redis_cluster.py, 2026-12-07). redis-py 8.2 raises
ConnectionError there, which the client's one retry takes (platform/redis.py). The same write
path serves a single server's pool, where this test closes the connections in use at each turn
of the event loop of a command's way; some windows still end in a timeout after the retry
(redis-py's close and reconnect of one connection interleave), which is a 503 too.
"""

from __future__ import annotations

import asyncio
import contextlib

from redis.asyncio import Redis
from redis.exceptions import RedisError

from boxoffice.platform.redis import redis_client
from tests.integration.cluster import REDIS_URL

# More turns of the event loop than a command takes from its call to its answer.
TURNS = 40


async def test_a_command_whose_connection_is_closed_under_it_fails_only_as_a_redis_error() -> None:
    assert REDIS_URL is not None
    client = redis_client(REDIS_URL, pool_size=1, timeout_seconds=1.0)
    assert isinstance(client, Redis)
    answered = 0
    try:
        assert await client.ping()  # the pool's one connection, open
        for turns in range(TURNS):
            command = asyncio.create_task(client.ping())
            for _ in range(turns):
                await asyncio.sleep(0)
            await client.connection_pool.disconnect(inuse_connections=True)
            with contextlib.suppress(RedisError):  # a 503: Redis is being reconnected
                answered += await command
    finally:
        await client.aclose()
    assert answered >= TURNS // 2  # most are retried and answered
