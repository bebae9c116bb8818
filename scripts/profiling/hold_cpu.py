"""CPU per hold in-process, on PostgreSQL + Redis, with many holds in flight at once.

    .venv/bin/python scripts/profiling/hold_cpu.py [--served-gc]

with a database of its own and the settings poll_cpu.py's docstring sets (a fresh database
each run: the script's fans and seats stay in it).

The app is called as a server calls it (one ASGI call a request, no sockets) by 32 tasks at
once, each for 8 admitted fans in turn, holding one seat a request (POST /api/v1/reservations,
seats by number): this process's CPU time per hold, three rounds; PostgreSQL's own work is in its
processes and not counted. Between rounds the script marks every reservation EXPIRED (by SQL;
their seats are never asked for again), so that no fan's count of held seats grows past a
round's. The room is one of the script's own, deleted after. Where the time goes: run it under
`py-spy record -f raw` and read the file with summary.py (cProfile misreads SQLAlchemy's
greenlets). `--served-gc` tunes the garbage collector as a served worker's is once the fans
are set up (`platform/runtime.py`); without it the default collector runs, as in the figures
docs/benchmarks.md gave before 2026-12-07 (morning), and its collections are sampled as the
frames that happened to allocate.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from typing import Any

import httpx
import orjson
import poll_cpu  # beside this script: the same app and room as the poll's
import route_cost  # beside this script: the same settings as the in-process route costs
import uvloop
from sqlalchemy import text

from boxoffice.platform.runtime import tune_garbage_collector

API = "/api/v1"
TASKS = 32
FANS = TASKS * 8
HOLDS = 3_200
SEATS = 5 * HOLDS


async def _fans(app: Any) -> tuple[list[dict[str, str]], int]:
    """`FANS` admitted fans' headers, and a date with `SEATS` seats."""
    container = app.state.container
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hold-cpu") as client:
        fans = []
        for number in range(FANS):
            name = {"username": f"hold_fan_{number}", "password": route_cost.PASSWORD}
            await client.post(f"{API}/users", json=name)
            token = await client.post(f"{API}/auth/token", data=name)
            auth = {"authorization": f"Bearer {token.json()['access_token']}"}
            joined = await client.post(f"{API}/queue/tokens", headers=auth)
            fans.append({**auth, "x-queue-token": joined.json()["token"]})
        await container.store.admit(container.clock.now().timestamp())
        admin = {"x-admin-key": container.keys.admin_key}
        concert = await client.post(
            f"{API}/admin/concerts", json={"title": "T", "venue": "V"}, headers=admin
        )
        schedule = await client.post(
            f"{API}/admin/concerts/{concert.json()['id']}/schedules",
            json={"starts_at": "2099-01-01T20:00:00Z", "seat_count": SEATS, "price": 100},
            headers=admin,
        )
        assert schedule.status_code == 201, schedule.text
    return fans, schedule.json()["id"]


def _post(path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    scope = route_cost.get_scope(path, {**headers, "content-type": "application/json"})
    scope["method"] = "POST"
    scope["headers"].append((b"content-length", str(len(body)).encode()))
    return scope


async def _round(app: Any, fans: list[dict[str, str]], schedule_id: int, seats: Any) -> int:
    statuses: dict[int, int] = {}

    async def task(turns: list[dict[str, str]], count: int) -> None:
        for headers in itertools.islice(itertools.cycle(turns), count):
            body = orjson.dumps({"schedule_id": schedule_id, "seat_numbers": [next(seats)]})

            async def receive(body: bytes = body) -> dict[str, Any]:
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses[message["status"]] = statuses.get(message["status"], 0) + 1

            await app(_post(f"{API}/reservations", headers, body), receive, send)

    await asyncio.gather(*(task(fans[i::TASKS], HOLDS // TASKS) for i in range(TASKS)))
    assert set(statuses) == {201}, statuses
    async with app.state.container.engine.begin() as connection:
        await connection.execute(text("UPDATE reservation SET status = 'EXPIRED'"))
    return sum(statuses.values())


async def main() -> None:
    settings, app = poll_cpu.own_room_app(
        "hold-cpu",
        BOXOFFICE_MAX_HELD_SEATS_PER_USER=str(SEATS),
        BOXOFFICE_QUEUE_MAX_ACTIVE=str(FANS),
        BOXOFFICE_QUEUE_ADMIT_PER_MINUTE=str(100 * FANS),
    )
    print(f"CPU µs per hold, {TASKS} at once ({FANS} fans), rounds of {HOLDS}")
    try:
        async with app.router.lifespan_context(app):
            fans, schedule_id = await _fans(app)
            if "--served-gc" in sys.argv[1:]:
                tune_garbage_collector()
            seats = itertools.count(1)
            await _round(app, fans, schedule_id, seats)  # warm
            figures = []
            for _ in range(3):
                started = time.process_time()
                holds = await _round(app, fans, schedule_id, seats)
                figures.append((time.process_time() - started) / holds * 1e6)
            print(" ".join(f"{figure:6.1f}" for figure in figures))
    finally:
        await poll_cpu._drop_room(settings.redis_url, settings.queue_room)


if __name__ == "__main__":
    uvloop.run(main())
