"""CPU per status poll in-process, on PostgreSQL + Redis, with many polls in flight at once.

    createdb -h 127.0.0.1 -U postgres poll_cpu
    export BOXOFFICE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/poll_cpu \
        BOXOFFICE_REDIS_URL=redis://127.0.0.1:6379/15 \
        BOXOFFICE_SECRET_KEY=$(openssl rand -hex 32) BOXOFFICE_ADMIN_KEY=$(openssl rand -hex 32)
    .venv/bin/boxoffice migrate && .venv/bin/python scripts/profiling/poll_cpu.py
    dropdb -h 127.0.0.1 -U postgres poll_cpu

The app is called as a server calls it (one ASGI call a request, no sockets), by 32 tasks at
once as a busy worker's connections would: the process's CPU time per request for a status poll,
the store's poll step alone, GET /healthz, and the bare app making one Redis round trip
(`boxoffice.bare`, a GET); the poll and the step each with the Redis store's script batches
(platform/redis_batching.py) and with every call sent alone. Three rounds each. The room is
one of the script's own, deleted after.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import route_cost  # beside this script: the same fan as the in-process route costs
import uvloop
from redis.asyncio import Redis

from boxoffice import bare
from boxoffice.app import create_app
from boxoffice.settings import Settings
from boxoffice.waiting_room import limits

TASKS = 32
REQUESTS = 4_000


async def _cpu(call: Callable[[], Awaitable[Any]]) -> str:
    async def task(count: int) -> None:
        for _ in range(count):
            await call()

    await asyncio.gather(*(task(50) for _ in range(TASKS)))  # warm
    figures = []
    for _ in range(3):
        started = time.process_time()
        await asyncio.gather(*(task(REQUESTS // TASKS) for _ in range(TASKS)))
        figures.append((time.process_time() - started) / REQUESTS * 1e6)
    return " ".join(f"{figure:6.1f}" for figure in figures)


def _request(app: Any, path: str, headers: dict[str, str]) -> Callable[[], Awaitable[None]]:
    scope = route_cost.get_scope(path, headers)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"{path} answered {message['status']}")

    async def call() -> None:
        await app(dict(scope), receive, send)

    return call


async def _drop_room(url: str, room: str) -> None:
    client = Redis.from_url(url)
    try:
        # Every key of the room (and of its limits) carries the room's name as its hash tag.
        keys = [key async for key in client.scan_iter(match=f"*{{{room}}}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def own_room_app(name: str, **variables: str) -> tuple[Settings, Any]:
    """The settings and app of an in-process run on PostgreSQL + Redis, in a room of its own
    named after `name` (`variables`: more BOXOFFICE_* settings)."""
    route_cost._settings()  # the limits and costs of the in-process runs
    os.environ.update(variables, BOXOFFICE_QUEUE_ROOM=f"{name}-{uuid.uuid4().hex[:8]}")
    settings = Settings()
    if not (settings.database_url and settings.redis_url):
        raise SystemExit("set BOXOFFICE_DATABASE_URL and BOXOFFICE_REDIS_URL (see the docstring)")
    return settings, create_app(settings, background=False)


async def main() -> None:
    settings, app = own_room_app("poll-cpu")
    print(f"CPU µs per request, {TASKS} at once, three rounds of {REQUESTS}")
    try:
        async with app.router.lifespan_context(app):
            headers, _ = await route_cost._fan(app)
            container = app.state.container
            waiting_room, store = container.waiting_room, container.store
            access = headers["authorization"].removeprefix("Bearer ")
            user_id = container.signer.read_access_token(access, container.clock.now())
            assert user_id is not None
            token = headers["x-queue-token"]
            claims = waiting_room.own_pass(user_id, token)
            guard = limits.poll_guard(settings, user_id, "127.0.0.1")
            batcher = store._batcher

            def step() -> Awaitable[Any]:
                return store.poll(claims.pass_id, container.clock.now().timestamp(), guard)

            poll = _request(app, "/api/v1/queue/status", headers)
            for label, batches in (("in batches", batcher), ("each alone", None)):
                store._batcher = batches
                print(f"status poll, {label:<11} {await _cpu(poll)}")
                print(f"store step,  {label:<11} {await _cpu(step)}")
            store._batcher = batcher
            print(f"{'GET /healthz':<24} {await _cpu(_request(app, '/healthz', {}))}")
    finally:
        await _drop_room(settings.redis_url, settings.queue_room)
    os.environ[bare.KIND_VARIABLE] = bare.BareApp.REDIS
    reference = bare.create_app()
    async with reference.router.lifespan_context(reference):
        print(f"{'bare app, one Redis GET':<24} {await _cpu(_request(reference, '/', {}))}")


if __name__ == "__main__":
    uvloop.run(main())
