"""What the requests find marks a dependency answering or not (platform/readiness.py): a
statement or script call answered marks it answering; one that finds it gone (a backend ended
under it, a refused connection) marks it failed, so that /readyz probes it again at once."""

from __future__ import annotations

import asyncpg
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from boxoffice.bootstrap import default_policy
from boxoffice.platform.database import answering, create_engine
from boxoffice.platform.redis import redis_client
from boxoffice.settings import Settings
from boxoffice.waiting_room.store_redis import RedisWaitingRoomStore
from tests.integration.cluster import DATABASE_URL, REDIS_URL
from tests.servers import free_port

WINDOW = 60.0


async def test_a_statement_answered_marks_the_database_answering_and_one_cut_off_failed() -> None:
    assert DATABASE_URL is not None
    engine = create_engine(Settings(database_url=DATABASE_URL))
    database = answering(engine)
    admin_url = make_url(DATABASE_URL).set(drivername="postgresql")
    admin = await asyncpg.connect(admin_url.render_as_string(hide_password=False))
    try:
        assert not database.lately(WINDOW)
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert database.lately(WINDOW)

            # The server ends the backend under the connection, as a restart or failover does.
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
            with pytest.raises(DBAPIError):
                await connection.execute(text("SELECT 1"))
        assert not database.lately(WINDOW)

        async with engine.connect() as connection:  # a fresh connection: answering again
            await connection.execute(text("SELECT 1"))
        assert database.lately(WINDOW)
    finally:
        await admin.close()
        await engine.dispose()


async def test_a_script_call_answered_marks_the_store_answering_and_one_refused_failed() -> None:
    assert REDIS_URL is not None
    policy = default_policy(Settings())
    store = RedisWaitingRoomStore.from_url(
        REDIS_URL, room="readiness-evidence", default_policy=policy, pool_size=2
    )
    line = store.for_room("readiness-evidence-line")  # the stores over one client share it
    # The same Redis gone: every connection refused.
    gone = RedisWaitingRoomStore(
        redis_client(f"redis://127.0.0.1:{free_port()}/0", pool_size=2, timeout_seconds=1.0),
        room="readiness-evidence",
        default_policy=policy,
        answering=store._answering,
    )
    try:
        assert not store.answered_lately(WINDOW)
        assert await line.view("no-such-pass", 0.0) is None
        assert store.answered_lately(WINDOW)
        assert line.answered_lately(WINDOW)

        with pytest.raises(RedisConnectionError):
            await gone.view("no-such-pass", 0.0)
        assert not store.answered_lately(WINDOW)
        assert not line.answered_lately(WINDOW)
    finally:
        await gone.close()
        await store.close()


async def test_a_call_that_waited_in_vain_for_a_pooled_connection_is_no_failure() -> None:
    """Under a rush every pooled connection is in use and a call may give up waiting for one:
    the client is busy, Redis is not gone (it answered the calls that had a connection)."""
    assert REDIS_URL is not None
    store = RedisWaitingRoomStore.from_url(
        REDIS_URL,
        room="readiness-evidence",
        default_policy=default_policy(Settings()),
        pool_size=1,
        timeout_seconds=0.3,
    )
    try:
        assert await store.view("no-such-pass", 0.0) is None
        pool = store._client.connection_pool  # type: ignore[union-attr]
        taken = await pool.get_connection()
        try:
            with pytest.raises(RedisConnectionError):
                await store.view("no-such-pass", 0.0)
        finally:
            await pool.release(taken)
        assert store.answered_lately(WINDOW)
    finally:
        await store.close()
