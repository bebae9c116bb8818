"""CPU of one seat-map render in this process: the encoded map (`service.seat_map`) against
reading and serializing every seat, as the map was rendered before 2026-11-26.

    createdb -h 127.0.0.1 -U postgres seatmap_bench
    export BOXOFFICE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/seatmap_bench \\
        BOXOFFICE_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))') \\
        BOXOFFICE_ADMIN_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')
    .venv/bin/boxoffice migrate && .venv/bin/python scripts/profiling/seat_map_render.py

A scratch database only: to set seat states without holds and payments it drops the seat
table's state check. One date of SEATS (5,000) seats, a third sold and a sixth held.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import select, text

from boxoffice.bootstrap import build_container
from boxoffice.catalog import service
from boxoffice.catalog.domain import PriceTier, Seat, SeatStatus
from boxoffice.catalog.models import Seat as SeatRow
from boxoffice.catalog.seat_map import SeatLayouts
from boxoffice.settings import Settings

SEATS = 5_000
ROUNDS = 50


async def main() -> None:
    container = build_container(Settings())
    now = datetime.now(UTC)
    async with container.uow() as uow:
        concert = await service.create_concert(uow, "render", "bench", "", now)
        date = await service.add_schedule(
            uow, concert.id, now + timedelta(days=3), [PriceTier("A", SEATS, 100)], now
        )
        await uow.commit()
    async with container.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE seat DROP CONSTRAINT IF EXISTS ck_seat_state"))
        await conn.execute(
            text("UPDATE seat SET status = 'SOLD' WHERE schedule_id = :s AND number % 3 = 0"),
            {"s": date.id},
        )
        await conn.execute(
            text(
                "UPDATE seat SET status = 'HELD', held_until = :until"
                " WHERE schedule_id = :s AND number % 6 = 4"
            ),
            {"s": date.id, "until": now + timedelta(minutes=5)},
        )

    async def every_seat() -> bytes:
        at = datetime.now(UTC)
        async with container.engine.connect() as conn:
            rows = await conn.execute(
                select(
                    SeatRow.id,
                    SeatRow.number,
                    SeatRow.section,
                    SeatRow.price,
                    SeatRow.status,
                    SeatRow.held_until,
                )
                .where(SeatRow.schedule_id == date.id)
                .order_by(SeatRow.number)
            )
            seats = [
                Seat(i, n, s, p, SeatStatus(st) if st != "HELD" or u > at else SeatStatus.AVAILABLE)
                for i, n, s, p, st, u in rows
            ]
        return orjson.dumps(seats)

    layouts = SeatLayouts(100_000)

    async def encoded() -> bytes:
        async with container.uow(readonly=True) as uow:
            seat_map = await service.seat_map(uow, date.id, datetime.now(UTC), layouts)
        return seat_map.tagged().body

    assert await encoded() == await every_seat(), "the two renders differ"
    for name, render in [("every seat", every_seat), ("encoded", encoded)] * 2:
        print(f"{name:>10}: {await cpu_ms(render):.2f} ms of CPU a render")
    await container.close()


async def cpu_ms(render: Callable[[], Awaitable[bytes]]) -> float:
    for _ in range(3):
        await render()
    started = time.process_time()
    for _ in range(ROUNDS):
        await render()
    return (time.process_time() - started) / ROUNDS * 1000


if __name__ == "__main__":
    asyncio.run(main())
