"""The service's Redis connections pack commands with hiredis, into the bytes redis-py writes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.exceptions import DataError

from boxoffice.platform.redis import packing_with_hiredis, redis_client

_ARGUMENTS = st.one_of(
    st.text(),
    st.binary(),
    st.integers(),
    st.floats(allow_nan=False),
    st.binary().map(bytearray),
    st.binary().map(memoryview),
)
_NAMES = st.sampled_from(["EVALSHA", "GET", "CLIENT SETNAME", b"EVALSHA", b"SCRIPT LOAD"])


def _hiredis_connection() -> Any:
    pool = packing_with_hiredis(BlockingConnectionPool.from_url("redis://127.0.0.1:1"))
    return pool.make_connection()


@given(name=_NAMES, arguments=st.lists(_ARGUMENTS, max_size=20))
def test_a_command_is_packed_into_the_bytes_redis_py_writes(
    name: Any, arguments: list[Any]
) -> None:
    # Arguments past redis-py's chunking size (6,000 bytes) come as one buffer, not several.
    ours = b"".join(_hiredis_connection().pack_command(name, *arguments))
    assert ours == b"".join(Connection().pack_command(name, *arguments))


def test_a_pipeline_is_packed_into_the_bytes_redis_py_writes() -> None:
    commands = [("EVALSHA", "a" * 40, 2, "k1", "k2", 1.5, -3, "ü"), ("GET", b"key")]
    ours = b"".join(_hiredis_connection().pack_commands(commands))
    assert ours == b"".join(Connection().pack_commands(commands))


@pytest.mark.parametrize("refused", [None, True, object()])
def test_what_redis_py_refuses_to_send_is_refused_alike(refused: object) -> None:
    with pytest.raises(DataError):
        Connection().pack_command("SET", "key", refused)
    with pytest.raises(DataError):
        _hiredis_connection().pack_command("SET", "key", refused)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("redis://127.0.0.1:6379/0", Connection),
        ("rediss://127.0.0.1:6379/0", SSLConnection),
        ("unix:///tmp/redis.sock", UnixDomainSocketConnection),
    ],
)
async def test_every_connection_the_service_makes_packs_with_hiredis(
    url: str, kind: type[Connection]
) -> None:
    client = redis_client(url, pool_size=2, timeout_seconds=1)
    assert isinstance(client, Redis)
    connection = client.connection_pool.make_connection()
    assert isinstance(connection, kind)
    assert type(connection).pack_command is not kind.pack_command
    await client.aclose()
