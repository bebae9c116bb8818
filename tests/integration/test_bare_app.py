"""The bare app doing one PostgreSQL round trip makes one: the physical limit of a request that
asks PostgreSQL one thing (issue 16), against which holds and payments are rated."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from boxoffice.bare import BareApp, _Pools
from boxoffice.settings import Settings
from tests.conftest import TEST_SETTINGS
from tests.integration.cluster import DATABASE_URL

# What asyncpg's pool sends by default as a connection goes back to it (Connection.reset).
RESET = "RESET ALL"


async def test_a_bare_apps_postgresql_request_sends_its_one_statement_and_nothing_after() -> None:
    assert DATABASE_URL is not None
    settings = Settings(
        database_url=DATABASE_URL, db_pool_size=1, db_max_overflow=0, **TEST_SETTINGS
    )
    pools = _Pools(BareApp.POSTGRES, settings)
    await pools.open()
    assert pools.postgres is not None
    dsn = make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    watcher = await asyncpg.connect(dsn)
    try:
        async with pools.postgres.acquire() as connection:
            pid = connection.get_server_pid()
        await pools.round_trips()  # on the pool's one connection, given back after
        # The last statement the server ran for that connection: the request's own, not a reset.
        last = await watcher.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await watcher.close()
        await pools.close()

    assert last == "SELECT 1", last
    assert RESET not in last
