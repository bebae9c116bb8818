"""PostgreSQL's plans for the hot statements, on a table shaped like a sale's.

The planner's choice depends on the indexes and on the statistics of the moment: in a benchmark
sale, with statistics from earlier in the sale, the per-fan count of held seats ANDed the fan's
reservations with every HELD one of the sale (migration 0004 tells the figures). The index made
for it must be there and be the planner's pick.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from boxoffice.audit import DATABASE_CHECKS

# The per-fan count of held seats that every hold starts with (bx_hold,
# reservations/holding_postgres.sql).
HELD_BY_FAN = """
EXPLAIN SELECT count(*) FROM seat s JOIN reservation r ON r.id = s.reservation_id
 WHERE r.user_id = :user_id AND r.status = 'HELD'
   AND s.status = 'HELD' AND s.held_until > now()
"""
BUSY_HOLDS = 5000
ONE_DEBIT = "4. every payment has its one debit"


@pytest.fixture
async def busy_sale(migrated_database_url: str | None) -> AsyncIterator[AsyncConnection]:
    """A transaction (rolled back after) in which one fan holds BUSY_HOLDS reservations and a
    second fan holds none, with fresh statistics."""
    assert migrated_database_url is not None
    engine = create_async_engine(migrated_database_url, poolclass=NullPool)
    async with engine.connect() as connection:
        transaction = await connection.begin()
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
        await transaction.rollback()
    await engine.dispose()


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


async def test_the_audit_checks_each_payments_debit_in_one_pass(
    busy_sale: AsyncConnection,
) -> None:
    # As a subquery per payment it read the whole ledger once a payment (no index of the ledger
    # by reservation): 21.6 s for a full-size sale's 20,000 payments, past the request
    # deadline `boxoffice audit` then had; as one join, 0.012 s.
    [(name, sql)] = [check for check in DATABASE_CHECKS if check[0] == ONE_DEBIT]
    plan = "\n".join((await busy_sale.execute(text(f"EXPLAIN {sql}"))).scalars())

    assert "SubPlan" not in plan, (name, plan)
