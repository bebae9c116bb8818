"""The harness itself: each fault it injects really happens, and each heal really heals.

A scenario that passes proves nothing if its fault never struck, so these fast checks run first.
"""

from __future__ import annotations

import socket
import time

import asyncpg
import httpx
import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tests.faults.conftest import MakeInstances, MakeProxy
from tests.faults.own_postgres import OwnPostgres
from tests.faults.own_redis import OwnRedis


def _round_trip(sock: socket.socket) -> float:
    started = time.monotonic()
    sock.sendall(b"PING\r\n")
    assert sock.recv(64) == b"+PONG\r\n"
    return time.monotonic() - started


def test_redis_restart_keeps_data_with_the_aof_and_loses_it_without(own_redis: OwnRedis) -> None:
    own_redis.client().set("kept", "yes")
    own_redis.restart(keep_data=True)
    assert own_redis.client().get("kept") == b"yes"
    own_redis.restart(keep_data=False)
    assert own_redis.client().dbsize() == 0


def test_redis_without_persistence_comes_back_empty() -> None:
    volatile = OwnRedis(persistent=False)
    try:
        volatile.start()
        port = volatile.port
        volatile.client().set("lost", "yes")
        volatile.restart(keep_data=True, kill=True)
        assert volatile.port == port
        assert volatile.ping()
        assert volatile.client().get("lost") is None
    finally:
        volatile.close()


async def test_postgres_restarts_keep_data_and_terminate_backends_ends_a_held_connection(
    own_postgres: OwnPostgres,
) -> None:
    own_postgres.sql("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
    held = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{own_postgres.port}/boxoffice")
    assert await held.fetchval("SELECT 1") == 1
    assert own_postgres.terminate_backends() >= 1
    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
        await held.fetchval("SELECT 1")
    await held.close()

    own_postgres.restart()
    assert own_postgres.sql("SELECT n FROM kept") == "7"
    own_postgres.stop("immediate")  # a crash: the server replays its log on start
    own_postgres.start()
    assert own_postgres.sql("SELECT n FROM kept") == "7"


def test_proxy_adds_latency_holds_in_a_blackhole_and_heals(
    own_redis: OwnRedis, make_proxy: MakeProxy
) -> None:
    proxy = make_proxy(own_redis.url)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        assert _round_trip(sock) < 0.2
        proxy.set_latency(0.3)  # each way
        assert 0.6 <= _round_trip(sock) < 1.5
        proxy.heal()
        proxy.blackhole()
        sock.settimeout(0.5)
        sock.sendall(b"PING\r\n")
        with pytest.raises(TimeoutError):
            sock.recv(64)
        proxy.heal()  # what was held is delivered, as TCP retransmits after a partition
        sock.settimeout(5)
        assert sock.recv(64) == b"+PONG\r\n"

    client = Redis.from_url(proxy.rewrite(own_redis.url), socket_timeout=1)
    assert client.ping()
    proxy.blackhole()
    with pytest.raises(RedisTimeoutError):
        client.ping()
    proxy.heal()
    assert client.ping()
    client.close()
    proxy.cut()
    with pytest.raises(RedisConnectionError):
        client.ping()
    proxy.heal()
    assert client.ping()
    client.close()


def test_instances_run_through_proxies_and_come_back_after_a_kill(
    own_postgres: OwnPostgres,
    own_redis: OwnRedis,
    make_proxy: MakeProxy,
    make_instances: MakeInstances,
) -> None:
    to_postgres, to_redis = make_proxy(own_postgres.url), make_proxy(own_redis.url)
    instances = make_instances(
        1,
        serve_database_url=to_postgres.rewrite(own_postgres.url),
        serve_redis_url=to_redis.rewrite(own_redis.url),
    )
    url = instances.base_urls[0]
    assert httpx.get(f"{url}/readyz").status_code == 200
    assert to_postgres.forwarded["upstream"] > 0
    assert to_redis.forwarded["upstream"] > 0
    instances.kill(0)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/healthz")
    instances.start(0)
    assert httpx.get(f"{url}/readyz").status_code == 200
    audit = instances.run_cli("audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "audit passed" in audit.stdout
