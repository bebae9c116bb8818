"""What one PostgreSQL statement costs this process through SQLAlchemy, against asyncpg alone.

Each hold and payment checks a pooled connection out of SQLAlchemy's engine, sets it to
autocommit, runs one statement and gives the connection back (`unit_of_work.UnitOfWork` with
`autocommit=True`). This measures the client-side CPU of each part on a trivial statement, so
PostgreSQL's own work is nearly nil and what is left is the stack's:

    .venv/bin/python scripts/profiling/sqlalchemy_overhead.py \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/test

Prints µs of this process's CPU per call (median of 3 rounds of 3,000 calls after a warm-up).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

CALLS = 3_000
ROUNDS = 3


async def _cpu_per_call(call: Callable[[], Awaitable[object]]) -> float:
    for _ in range(200):
        await call()
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(CALLS):
            await call()
        rounds.append((time.process_time() - started) / CALLS * 1e6)
    return statistics.median(rounds)


async def main(url: str) -> None:
    engine = create_async_engine(url, pool_size=2, max_overflow=0)
    statement = text("SELECT 1 AS x, CAST(:a AS integer) AS y")
    held = await engine.connect()
    await held.execution_options(isolation_level="AUTOCOMMIT")
    driver = await asyncpg.connect(url.replace("+asyncpg", ""))

    async def as_a_hold_runs() -> None:  # the unit of work's path, autocommit
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.begin()
            (await connection.execute(statement, {"a": 1})).one()
            await connection.commit()

    async def checkout_only() -> None:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")

    async def execute_only() -> None:
        (await held.execute(statement, {"a": 1})).one()

    async def driver_only() -> None:
        await driver.fetchrow("SELECT 1 AS x, $1::int AS y", 1)

    for name, call in (
        ("checkout + autocommit + one statement + return (a hold's path)", as_a_hold_runs),
        ("checkout + autocommit + return, no statement", checkout_only),
        ("one statement on a checked-out connection", execute_only),
        ("one statement, asyncpg alone", driver_only),
    ):
        print(f"{await _cpu_per_call(call):7.0f} µs  {name}")
    await held.close()
    await driver.close()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(
        main(
            sys.argv[1]
            if len(sys.argv) > 1
            else "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        )
    )
