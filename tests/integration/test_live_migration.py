"""`boxoffice migrate` on a live deployment blocks no hold or payment of the sale going on.

The classic outage: a migration's plain CREATE INDEX waits behind a transaction still open on
the table, and every write queued behind it waits too, so a sale stalls for as long as the
slowest transaction plus the whole build. A migration must let writes through meanwhile.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

from boxoffice.platform.migrate import alembic_config
from boxoffice.settings import Settings
from tests.integration.cluster import DATABASE_URL, _admin_sql
from tests.servers import BOXOFFICE, server_env

pytestmark = pytest.mark.integration
# The revision before the first that builds an index on a table in use (0004).
BEFORE_INDEXES = "0003"
WRITE_WAITS_AT_MOST_MS = 2000


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    assert DATABASE_URL is not None
    name = f"bx_migrate_{uuid.uuid4().hex[:12]}"
    await _admin_sql(f"CREATE DATABASE {name}")
    yield make_url(DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    await _admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _a_fan_with_holds(connection: asyncpg.Connection) -> list[int]:
    user_id = await connection.fetchval(
        "INSERT INTO user_account (username, password_hash, created_at) "
        "VALUES ('fan', 'x', now()) RETURNING id"
    )
    concert = await connection.fetchval(
        "INSERT INTO concert (title, venue, description, created_at) "
        "VALUES ('Live', '', '', now()) RETURNING id"
    )
    schedule = await connection.fetchval(
        "INSERT INTO schedule (concert_id, starts_at, total_seats, created_at) "
        "VALUES ($1, now() + interval '30 days', 1, now()) RETURNING id",
        concert,
    )
    holds = await connection.fetch(
        "INSERT INTO reservation (user_id, schedule_id, amount, status, held_until, "
        "created_at, updated_at) SELECT $1, $2, 0, 'HELD', now(), now(), now() "
        "FROM generate_series(1, 2) RETURNING id",
        user_id,
        schedule,
    )
    return [int(row["id"]) for row in holds]


async def test_migrating_a_live_database_lets_the_sale_write_meanwhile(database_url: str) -> None:
    settings = Settings(database_url=database_url, secret_key="s" * 40, admin_key="a" * 40)
    config = alembic_config(settings)
    await asyncio.to_thread(command.upgrade, config, BEFORE_INDEXES)
    slow = await asyncpg.connect(_plain(database_url))
    sale = await asyncpg.connect(_plain(database_url))
    try:
        locked, other = await _a_fan_with_holds(sale)
        # A transaction of the sale still open on the table when the migration starts.
        open_transaction = slow.transaction()
        await open_transaction.start()
        await slow.execute("UPDATE reservation SET updated_at = now() WHERE id = $1", locked)

        migrated = threading.Event()
        migration = asyncio.create_task(
            asyncio.to_thread(lambda: (command.upgrade(config, "head"), migrated.set()))
        )
        await asyncio.sleep(1.0)  # the migration is now waiting on the open transaction
        assert not migrated.is_set(), "the migration did not wait for the open transaction"

        # Meanwhile the sale goes on: another hold changes, not queued behind the build.
        await sale.execute(f"SET lock_timeout = {WRITE_WAITS_AT_MOST_MS}")
        await sale.execute(
            "UPDATE reservation SET status = 'CANCELLED', updated_at = now() WHERE id = $1", other
        )

        await open_transaction.commit()
        await asyncio.wait_for(migration, timeout=60)
        valid = await sale.fetchval(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = "
            "'ix_reservation_user_id_held'::regclass"
        )
        assert valid is True
    finally:
        await slow.close()
        await sale.close()


async def _migrate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [*BOXOFFICE, "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_migrate_rebuilds_an_invalid_index_a_failed_build_left(
    database_url: str, tmp_path: Path
) -> None:
    """A concurrent build that failed leaves an invalid index, and the migration that builds it
    skips it when run again (IF NOT EXISTS) and counts as done: `migrate` rebuilds it, writes
    going on, and while it cannot (here a transaction holds a lock the rebuild needs, past
    DB_LOCK_TIMEOUT_MS), exits 2 saying to run it again, never to drop the index (its migration
    would not build it again: found by review, 2026-12-07). The invalid copies a failed rebuild
    leaves are dropped."""
    settings = Settings(database_url=database_url, secret_key="s" * 40, admin_key="a" * 40)
    await asyncio.to_thread(command.upgrade, alembic_config(settings), "head")
    connection = await asyncpg.connect(_plain(database_url))
    index = "ix_reservation_user_id_held"
    valid = f"SELECT indisvalid FROM pg_index WHERE indexrelid = '{index}'::regclass"
    env = server_env(tmp_path, secret_key="s" * 40, admin_key="a" * 40, database_url=database_url)
    try:  # as a CREATE INDEX CONCURRENTLY that failed leaves it
        await connection.execute(
            f"UPDATE pg_index SET indisvalid = false WHERE indexrelid = '{index}'::regclass"
        )
        async with connection.transaction():
            await connection.execute("LOCK TABLE reservation IN SHARE UPDATE EXCLUSIVE MODE")
            held_up = await _migrate(env)
        assert held_up.returncode == 2, held_up.stdout + held_up.stderr
        assert index in held_up.stderr
        assert "Run boxoffice migrate again to repair them" in held_up.stderr
        assert await connection.fetchval(valid) is False

        # What a REINDEX INDEX CONCURRENTLY that failed midway leaves: an invalid copy, which a
        # rebuild would keep for good beside the index (review).
        await connection.execute(
            f"CREATE INDEX {index}_ccnew ON reservation (user_id) WHERE status = 'HELD'"
        )
        await connection.execute(
            f"UPDATE pg_index SET indisvalid = false WHERE indexrelid = '{index}_ccnew'::regclass"
        )

        finished = await _migrate(env)

        assert finished.returncode == 0, finished.stdout + finished.stderr
        assert f"dropped index {index}_ccnew" in finished.stdout
        assert f"rebuilt index {index}" in finished.stdout
        assert await connection.fetchval(valid) is True
        indexes = await connection.fetch(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'reservation'"
            f" AND indexname LIKE '{index}%'"
        )
        assert [row["indexname"] for row in indexes] == [index]
    finally:
        await connection.close()
