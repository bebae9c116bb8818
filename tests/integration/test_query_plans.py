"""PostgreSQL's plans for the hot statements, on a table shaped like a sale's.

The planner's choice depends on the indexes and on the statistics of the moment: in a benchmark
sale, with statistics from earlier in the sale, the per-fan count of held seats ANDed the fan's
reservations with every HELD one of the sale (migration 0004 tells the figures). The index made
for it must be there and be the planner's pick.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from boxoffice.audit import DATABASE_CHECKS
from boxoffice.payments.settling_postgres import SETTLE_ALL
from boxoffice.platform.database import create_engine
from boxoffice.reservations.holding_postgres import HOLD_ALL
from boxoffice.settings import Settings
from tests.conftest import TEST_SETTINGS

# The per-fan count of held seats that every hold starts with (bx_hold,
# reservations/holding_postgres.sql), with the fan and the time as its parameters.
HELD_BY_FAN_SQL = """
SELECT count(*) FROM seat s JOIN reservation r ON r.id = s.reservation_id
 WHERE r.user_id = $1 AND r.status = 'HELD' AND s.status = 'HELD' AND s.held_until > $2
"""
HELD_BY_FAN = "EXPLAIN " + HELD_BY_FAN_SQL.replace("$1", ":user_id").replace("$2", "now()")
BUSY_HOLDS = 5000
NEW_SEATS = 16_000
ONE_DEBIT = "4. every payment has its one debit"
ONE_REFUND = "4. every refunded payment has its one refund"


@asynccontextmanager
async def _rolled_back(url: str | None) -> AsyncIterator[AsyncConnection]:
    """A connection of its own in a transaction that is rolled back after."""
    assert url is not None
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            yield connection
            await transaction.rollback()
    finally:
        await engine.dispose()


@pytest.fixture
async def busy_sale(migrated_database_url: str | None) -> AsyncIterator[AsyncConnection]:
    """A transaction (rolled back after) in which one fan holds BUSY_HOLDS reservations and a
    second fan holds none, with fresh statistics."""
    async with _rolled_back(migrated_database_url) as connection:
        fans = await connection.execute(
            text(
                "INSERT INTO user_account (username, password_hash, created_at)"
                " VALUES ('plan-busy', 'x', now()), ('plan-quiet', 'x', now()) RETURNING id"
            )
        )
        busy, quiet = (row.id for row in fans)
        concert = await connection.scalar(
            text(
                "INSERT INTO concert (title, venue, description, created_at)"
                " VALUES ('plan', 'hall', '', now()) RETURNING id"
            )
        )
        schedule = await connection.scalar(
            text(
                "INSERT INTO schedule (concert_id, starts_at, total_seats, created_at)"
                " VALUES (:concert, now(), 0, now()) RETURNING id"
            ),
            {"concert": concert},
        )
        hold = text(
            "INSERT INTO reservation (user_id, schedule_id, amount, status, held_until,"
            " created_at, updated_at) SELECT :busy, :schedule, 0, 'HELD',"
            " now() + interval '5 minutes', now(), now() FROM generate_series(1, :count)"
        )
        await connection.execute(hold, {"busy": busy, "schedule": schedule, "count": BUSY_HOLDS})
        await connection.execute(text("ANALYZE reservation"))
        connection.info["quiet_fan"] = quiet
        yield connection


async def test_counting_a_fans_held_seats_reads_only_that_fans_held_reservations(
    busy_sale: AsyncConnection,
) -> None:
    plan = "\n".join(
        (
            await busy_sale.execute(text(HELD_BY_FAN), {"user_id": busy_sale.info["quiet_fan"]})
        ).scalars()
    )

    # Reads the fan's own reservations by an index of the fan's: the partial one of 0004 on a
    # fresh database; after other tests' rows, the planner may find (user_id, id) as cheap for a
    # fan with none (both estimate one row) and take it instead, which reads as few.
    assert "ix_reservation_user_id_held" in plan or "ix_reservation_user_id_id" in plan, plan
    # Not every HELD reservation of the sale, ANDed with the fan's (what it did before 0004).
    assert "ix_reservation_status_held_until" not in plan, plan
    assert "BitmapAnd" not in plan, plan


@pytest.fixture
async def new_sale(migrated_database_url: str | None) -> AsyncIterator[AsyncConnection]:
    """A transaction (rolled back after) whose `seat` and `reservation` are new copies of the
    real tables, with every index of theirs and no statistics, as a new database has them: one
    date of NEW_SEATS free seats and no reservation yet."""
    async with _rolled_back(migrated_database_url) as connection:
        await connection.execute(text("CREATE SCHEMA plan_new_sale"))
        for table in ("reservation", "seat"):
            await connection.execute(
                text(f"CREATE TABLE plan_new_sale.{table} (LIKE public.{table} INCLUDING ALL)")
            )
        await connection.execute(text("SET LOCAL search_path = plan_new_sale, public"))
        await connection.execute(
            text(
                "INSERT INTO seat (schedule_id, number, section, price, status)"
                " SELECT 1, n, 'A', 100, 'AVAILABLE' FROM generate_series(1, :count) n"
            ),
            {"count": NEW_SEATS},
        )
        yield connection


async def test_a_new_sales_count_of_a_fans_held_seats_reads_only_that_fans_seats(
    new_sale: AsyncConnection,
) -> None:
    # As bx_hold runs it: the plan made once for any fan and any time. With an index of seats
    # by held_until (dropped in 0010) it ANDed the fan's seats with every seat of the sale held
    # until later than now: 1,006 µs a count in hold_cpu.py against 21 without the index.
    await new_sale.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    await new_sale.execute(text(f"PREPARE held_by_fan(bigint, timestamptz) AS {HELD_BY_FAN_SQL}"))
    plan = "\n".join(
        (await new_sale.execute(text("EXPLAIN EXECUTE held_by_fan(5, now())"))).scalars()
    )

    assert "BitmapAnd" not in plan, plan
    assert "held_until_idx" not in plan, plan


@pytest.mark.parametrize("check", [ONE_DEBIT, ONE_REFUND])
async def test_the_audit_checks_each_payments_debit_and_refund_in_one_pass(
    busy_sale: AsyncConnection, check: str
) -> None:
    # As a subquery per payment it read the whole ledger once a payment (no index of the ledger
    # by reservation): 21.6 s for a full-size sale's 20,000 payments, past the request
    # deadline `boxoffice audit` then had; as one join, 0.012 s.
    [(name, sql)] = [one for one in DATABASE_CHECKS if one[0] == check]
    plan = "\n".join((await busy_sale.execute(text(f"EXPLAIN {sql}"))).scalars())

    assert "SubPlan" not in plan, (name, plan)


@pytest.mark.parametrize("statement", [HOLD_ALL, SETTLE_ALL], ids=["bx_hold", "bx_settle"])
async def test_a_batch_of_holds_or_payments_reads_no_table_whole(
    busy_sale: AsyncConnection, statement: TextClause
) -> None:
    # The batch statements joined to `reservation` were planned as a hash join over the whole
    # table: a payment went from 2,119 to 11,838 µs of server CPU in the quick rush.
    now = datetime.now(UTC)
    arrays = {
        "user_ids": [1, 2],
        "schedule_ids": [1, 1],
        "reservation_ids": [1, 2],
        "firsts": [1, 2],
        "lasts": [1, 2],
        "numbers": [1, 2],
        "held_untils": [now, now],
        "nows": [now, now],
        "max_helds": [4, 4],
        "keys": [None, None],
        "request_hashes": [None, None],
        "answers": [None, None],
        "answer_statuses": [None, None],
    }
    params = {name: arrays[name] for name in statement.compile().params}
    plan = "\n".join((await busy_sale.execute(text(f"EXPLAIN {statement.text}"), params)).scalars())

    assert "Seq Scan" not in plan, plan
    assert "Hash" not in plan, plan


async def test_the_services_connections_compile_no_statement_just_in_time(
    migrated_database_url: str | None,
) -> None:
    # A batch of 64 payments is estimated dear enough for the JIT: 215 ms of compiling (EXPLAIN
    # ANALYZE) for a statement that runs in under 30 ms without it.
    assert migrated_database_url is not None
    engine = create_engine(Settings(database_url=migrated_database_url, **TEST_SETTINGS))
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SHOW jit")) == "off"
    finally:
        await engine.dispose()
