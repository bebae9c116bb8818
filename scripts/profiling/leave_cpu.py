"""CPU per leave's record in-process: what a fan leaving the line costs the app in SQL.

    createdb -h 127.0.0.1 -U postgres leave_cpu
    BOXOFFICE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/leave_cpu \
        .venv/bin/boxoffice migrate
    BOXOFFICE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/leave_cpu \
        .venv/bin/python scripts/profiling/leave_cpu.py
    dropdb -h 127.0.0.1 -U postgres leave_cpu

`SqlPassRecords.record_left` (queue_pass_left, written before the store forgets the pass) 30 at
once, three rounds of 3,000, each on a pass of its own for one fan the script adds: this
process's CPU time per record. Run it with `PYTHONPATH=<clone>/src` to measure another commit.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import uvloop
from sqlalchemy import text

from boxoffice.platform.database import create_engine
from boxoffice.settings import Settings
from boxoffice.unit_of_work import UnitOfWork
from boxoffice.waiting_room.records import SqlPassRecords

AT_ONCE = 30
RECORDS = 3_000
FAN = 990_001


async def main() -> None:
    settings = Settings()
    if not settings.database_url:
        raise SystemExit("set BOXOFFICE_DATABASE_URL (see the docstring)")
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO user_account (id, username, password_hash, created_at) "
                "VALUES (:id, 'leave-cpu', 'x', CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING"
            ),
            {"id": FAN},
        )

    def unit_of_work(readonly: bool = False, autocommit: bool = False) -> UnitOfWork:
        # Positional or by name: older commits' records asked for `readonly` positionally.
        return UnitOfWork(engine, readonly=readonly, autocommit=autocommit)

    records = SqlPassRecords(unit_of_work)

    async def leave() -> None:
        await records.record_left(FAN, uuid.uuid4().hex, time.time())

    await asyncio.gather(*(leave() for _ in range(100)))  # warm
    figures = []
    for _ in range(3):
        started = time.process_time()
        for _ in range(RECORDS // AT_ONCE):
            await asyncio.gather(*(leave() for _ in range(AT_ONCE)))
        figures.append((time.process_time() - started) / RECORDS * 1e6)
    print(f"CPU µs per leave's record, {AT_ONCE} at once:", " ".join(f"{f:.0f}" for f in figures))
    await engine.dispose()


if __name__ == "__main__":
    uvloop.run(main())
