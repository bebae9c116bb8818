"""What PostgreSQL plans and runs inside `bx_hold`, statement by statement, per hold.

    .venv/bin/python scripts/profiling/hold_plans.py [HOLDS]

Starts a PostgreSQL cluster of its own (the fault suite's `OwnPostgres`: initdb on a free port,
removed after) with pg_stat_statements tracking the statements inside functions and their
planning, migrates it (`platform.migrate.upgrade`), and makes HOLDS holds (default 3,000) of one
seat each, one after the other on one connection, twice: with `bx_hold` as the migrations load
it, and with PostgreSQL told to make every plan once (plan_cache_mode = force_generic_plan set on
the function). For each run, each statement that ran once a hold: its calls, how many times it
was planned, and its mean planning and execution time; then the function's mean time per call.
Times are wall-clock on an otherwise idle connection, so they track PostgreSQL's CPU; compare
the runs of one invocation, not runs on different days.

Until migration 0009, `bx_hold` took a hold's seats by `= ANY` of an array, and PostgreSQL
planned those two statements afresh on every call; told to plan them once, it did here, but in
the rush on this host's shared PostgreSQL the setting made a hold cost four times the database's
CPU (docs/benchmarks.md, 2026-12-07). Now each seat is a statement of its own, keyed by one
value: both runs should show a handful of plans per statement, not one per call.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the fault suite's cluster, from the repository's tests

from boxoffice.platform.migrate import upgrade  # noqa: E402
from boxoffice.settings import Settings  # noqa: E402
from tests.faults.own_postgres import OwnPostgres  # noqa: E402

SEATS = 50_000
FANS = 5_000
SIGNATURE = "bx_hold(bigint, bigint, integer[], timestamptz, timestamptz, integer)"
STATEMENTS = """
SELECT calls, plans, round((mean_plan_time * 1000)::numeric, 1) AS plan_us,
       round((mean_exec_time * 1000)::numeric, 1) AS exec_us,
       left(regexp_replace(query, '\\s+', ' ', 'g'), 64) AS statement
  FROM pg_stat_statements WHERE NOT toplevel AND calls >= $1 ORDER BY total_exec_time DESC
"""


async def _seed(postgres: OwnPostgres) -> tuple[int, list[int]]:
    """A date of SEATS free seats and FANS fans; the date's id and the fans' ids."""
    connection = await postgres.connect()
    try:
        concert = await connection.fetchval(
            "INSERT INTO concert (title, venue, description, created_at)"
            " VALUES ('plans', 'hall', '', now()) RETURNING id"
        )
        schedule = await connection.fetchval(
            "INSERT INTO schedule (concert_id, starts_at, total_seats, created_at)"
            " VALUES ($1, now() + interval '30 days', $2, now()) RETURNING id",
            concert,
            SEATS,
        )
        await connection.execute(
            "INSERT INTO seat (schedule_id, number, section, price, status)"
            " SELECT $1, n, 'A', 100, 'AVAILABLE' FROM generate_series(1, $2) n",
            schedule,
            SEATS,
        )
        fans = await connection.fetch(
            "INSERT INTO user_account (username, password_hash, created_at)"
            " SELECT 'fan' || i, 'x', now() FROM generate_series(1, $1) i RETURNING id",
            FANS,
        )
        # Not the reservation tables: analyzed while empty, they plan every hold badly
        # (docs/operations.md, "A new database before its first sale").
        await connection.execute("VACUUM ANALYZE concert, schedule, seat, user_account")
        return schedule, [row["id"] for row in fans]
    finally:
        await connection.close()


async def _run(
    postgres: OwnPostgres, label: str, schedule: int, fans: list[int], seats: range
) -> None:
    connection = await postgres.connect()
    try:
        # The statements inside functions too, and their planning (this session's only).
        await connection.execute(
            "SET pg_stat_statements.track = 'all'; SET pg_stat_statements.track_planning = on;"
            " SET jit = off; SELECT pg_stat_statements_reset()"
        )
        now = datetime.now(UTC)
        for turn, number in enumerate(seats):
            outcome = await connection.fetchval(
                "SELECT outcome FROM bx_hold($1, $2, $3, $4, $5, 1000)",
                fans[turn % len(fans)],
                schedule,
                [number],
                now + timedelta(minutes=30),
                now,
            )
            assert outcome == "HELD", outcome
        rows = await connection.fetch(STATEMENTS, len(seats))
        whole = await connection.fetchval(
            "SELECT round((mean_exec_time * 1000)::numeric, 1) FROM pg_stat_statements"
            " WHERE toplevel AND query LIKE 'SELECT outcome FROM bx_hold%'"
        )
    finally:
        await connection.close()
    print(f"\n== {label}: {len(seats):,} holds, one seat each")
    print(f"{'calls':>7} {'plans':>7} {'plan µs':>8} {'exec µs':>8}  statement")
    for row in rows:
        print(
            f"{row['calls']:>7,} {row['plans']:>7,} {row['plan_us']:>8} {row['exec_us']:>8}"
            f"  {row['statement']}"
        )
    print(f"bx_hold, the whole call: {whole} µs a hold")


async def _measure(postgres: OwnPostgres, holds: int) -> None:
    schedule, fans = await _seed(postgres)
    # In turn, so that neither has the emptier tables.
    variants = [
        ("as loaded", "RESET ALL"),
        ("plans made once", "SET plan_cache_mode = force_generic_plan"),
    ]
    for turn, (label, setting) in enumerate(variants):
        postgres.sql(f"ALTER FUNCTION {SIGNATURE} {setting}")
        seats = range(turn * holds + 1, (turn + 1) * holds + 1)
        await _run(postgres, label, schedule, fans, seats)


def main(holds: int) -> None:
    postgres = OwnPostgres()
    try:
        postgres.start()
        postgres.sql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        postgres.restart()
        upgrade(Settings(database_url=postgres.url))
        postgres.sql("CREATE EXTENSION pg_stat_statements")
        asyncio.run(_measure(postgres, holds))
    finally:
        postgres.close()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
    if not 0 < count <= SEATS // 2:
        sys.exit(f"HOLDS must be between 1 and {SEATS // 2:,}")
    main(count)
