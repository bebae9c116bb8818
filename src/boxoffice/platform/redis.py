"""The one way this service connects to Redis: bounded waits, and one retry on a fresh connection.

A pooled connection outlives the Redis server it was opened to: after a restart (or a failover)
every idle connection in the pool is dead, and without a retry the first command on each of
them fails, so fans would see one 503 per pooled connection for a fault that is already over.
A connection error is therefore retried once, at once, on a new connection (redis-py closes the
dead one and reconnects). Every command the service sends may be sent twice this way: each is a
read, an idempotent write, or a script whose second run finds the first one's effect (joining
again keeps one's place, leaving twice leaves once, admission re-checks the cap and the rate).
Timeouts are not retried: a Redis that is slow already took the request's deadline.

A URL whose scheme is `redis+cluster://` (or `rediss+cluster://`) names any node of a Redis
Cluster: the client finds the others and sends each command to the node that holds its keys.
Every key the service writes carries a hash tag (its room's name), so each script's keys share
one slot, and the lines of a deployment spread over the nodes one room each.

redis-py's asyncio connections pack every command in Python, argument by argument, even with
hiredis installed (its blocking client packs with hiredis): 10.6 µs of CPU for a script call of
16 arguments, against 1.9 packed by `hiredis.pack_command` (timeit, 2026-12-06), and a status
poll, a join or a pass check is one script call each. A single server's connections pack with
hiredis (`packing_with_hiredis`), which writes the same bytes for every argument the client
accepts (tests/unit/test_redis_packing.py); a cluster's nodes keep redis-py's own connections.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import hiredis
from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError

from boxoffice.platform.metrics import DEPENDENCY_FAULTS

__all__ = [
    "RedisClient",
    "decodes_responses",
    "no_pooled_connection",
    "packing_with_hiredis",
    "redis_client",
]

# A Redis server, or a Redis Cluster: the service uses only what both offer.
RedisClient: TypeAlias = Redis | RedisCluster
_CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

_RETRIED = DEPENDENCY_FAULTS.labels("redis", "retried")


class _CountedNoBackoff(NoBackoff):
    """Retry at once, and count the retry (redis-py asks the backoff once per retry)."""

    def compute(self, failures: int) -> float:
        _RETRIED.inc()
        return super().compute(failures)


class _HiredisPacking:
    """Mixed into a redis-py asyncio connection class: its commands packed by hiredis."""

    def pack_command(self, *args: Any) -> list[bytes]:
        # As redis-py's own packer: a command name given with its subcommand ("CLIENT SETNAME")
        # is sent as separate words.
        first = args[0]
        if isinstance(first, str):
            args = (*first.encode().split(), *args[1:])
        elif b" " in first:
            args = (*first.split(), *args[1:])
        try:
            return [hiredis.pack_command(args)]
        except TypeError:
            pass
        # hiredis takes no view of bytes (redis-py sends one as its bytes), and refuses what
        # redis-py refuses (None, a bool), with another error.
        args = tuple(bytes(arg) if isinstance(arg, bytearray | memoryview) else arg for arg in args)
        try:
            return [hiredis.pack_command(args)]
        except TypeError as refused:
            raise DataError(str(refused)) from refused


_PACKING: dict[type[AbstractConnection], type[AbstractConnection]] = {}


def _packing(connection_class: type[AbstractConnection]) -> type[AbstractConnection]:
    if connection_class not in _PACKING:
        name = f"Hiredis{connection_class.__name__}"
        _PACKING[connection_class] = type(name, (_HiredisPacking, connection_class), {})
    return _PACKING[connection_class]


def packing_with_hiredis(pool: ConnectionPool) -> ConnectionPool:
    """`pool`, its connections (plain, TLS or a Unix socket's) packing commands with hiredis."""
    pool.connection_class = _packing(pool.connection_class)
    return pool


def redis_client(url: str, *, pool_size: int, timeout_seconds: float) -> RedisClient:
    """A client with a blocking pool of at most `pool_size` connections; replies are str.

    A command waits at most `timeout_seconds` for a pooled connection, to connect, and for its
    answer, then fails (and the request answers 503) instead of hanging. On a cluster
    (`redis+cluster://`), `pool_size` connections per node, and a command past them fails at
    once (redis-py's cluster pools do not wait).
    """
    scheme, _, rest = url.partition("://")
    if scheme in _CLUSTER_SCHEMES:
        return RedisCluster.from_url(
            f"{_CLUSTER_SCHEMES[scheme]}://{rest}",
            max_connections=pool_size,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(_CountedNoBackoff(), 1, supported_errors=(RedisConnectionError,)),
            decode_responses=True,
        )
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=pool_size,
        timeout=timeout_seconds,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(_CountedNoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        decode_responses=True,
    )
    return Redis.from_pool(packing_with_hiredis(pool))


def decodes_responses(client: RedisClient) -> bool:
    """Whether the client answers str (made with decode_responses=True)."""
    if isinstance(client, RedisCluster):
        kwargs = client.get_connection_kwargs()
    else:
        kwargs = client.connection_pool.connection_kwargs
    return bool(kwargs.get("decode_responses"))


def no_pooled_connection(error: BaseException) -> bool:
    """Whether a ConnectionError is the pool's own: no pooled connection came free in time.
    The client is busy (every connection in use under a rush), not Redis gone."""
    return isinstance(error, RedisConnectionError) and isinstance(error.__cause__, TimeoutError)
