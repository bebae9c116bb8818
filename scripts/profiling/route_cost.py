"""What the stack costs a request, in-process: the app called as the server calls it (one ASGI
call per request, no sockets, no client), on the embedded default, for one admitted fan.

    .venv/bin/python scripts/profiling/route_cost.py [REQUESTS]

For GET /healthz, a status poll and a seat map, the median microseconds a request: as served
(each route running its dependency plan, platform/lean_route.py, under every middleware), the
same routes served by FastAPI's own handler instead, and that without the app's own middleware
(Starlette's error handling and FastAPI's exit stack stay). The differences are what the plans
and the middleware save and cost.

Then what finding a hold's route costs: the routes listed before POST /api/v1/reservations
turning its path down, by their own matching (a path without a route's fixed part turned down at
once, platform/lean_route.py) and by FastAPI's. Then the floors, with routes of the script's own
placed first: a bare Starlette route under all the app's middleware, without each middleware in
turn, and without any; and FastAPI routes taking only the Request, one dependency, or one
header, with and without the middleware.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import Depends, Header, Request
from fastapi.routing import APIRoute, request_response
from starlette.responses import Response
from starlette.routing import Match, Route

from boxoffice.app import create_app
from boxoffice.platform.lean_route import LeanRoute
from boxoffice.platform.migrate import upgrade
from boxoffice.settings import Settings

PASSWORD = "correct horse battery"  # noqa: S105 - a profiling fan
API = "/api/v1"
ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _settings() -> Settings:
    os.environ.update(
        BOXOFFICE_DATA_DIR=tempfile.mkdtemp(prefix="route-cost-"),
        BOXOFFICE_SIGNUP_LIMIT_PER_IP="0",
        BOXOFFICE_LOGIN_LIMIT_PER_IP="0",
        BOXOFFICE_STATUS_LIMIT_PER_ACCOUNT="1000000",
        BOXOFFICE_QUEUE_LIMIT_PER_IP="0",
        BOXOFFICE_POLL_PACE_RATIO="0.01",
        BOXOFFICE_PASSWORD_TIME_COST="1",  # noqa: S106 - a cost, not a password
        BOXOFFICE_PASSWORD_MEMORY_KIB="64",  # noqa: S106 - a cost, not a password
        BOXOFFICE_LOG_LEVEL="WARNING",
    )
    return Settings()


async def _fan(app: Any) -> tuple[dict[str, str], int]:
    """An admitted fan's headers, and a date with seats."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://route-cost") as client:
        await client.post(f"{API}/users", json={"username": "fan_one", "password": PASSWORD})
        token = await client.post(
            f"{API}/auth/token", data={"username": "fan_one", "password": PASSWORD}
        )
        auth = {"authorization": f"Bearer {token.json()['access_token']}"}
        joined = await client.post(f"{API}/queue/tokens", headers=auth)
        container = app.state.container
        await container.store.admit(container.clock.now().timestamp())
        admin = {"x-admin-key": container.keys.admin_key}
        concert = await client.post(
            f"{API}/admin/concerts", json={"title": "T", "venue": "V"}, headers=admin
        )
        starts = "2099-01-01T20:00:00Z"
        schedule = await client.post(
            f"{API}/admin/concerts/{concert.json()['id']}/schedules",
            json={"starts_at": starts, "seat_count": 500, "price": 100},
            headers=admin,
        )
        assert schedule.status_code == 201, schedule.text
    return {**auth, "x-queue-token": joined.json()["token"]}, schedule.json()["id"]


def get_scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    """The ASGI scope of a GET of `path` from 127.0.0.1, as the server hands it to the app."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _time(call: ASGI, path: str, headers: dict[str, str], requests: int) -> float:
    scope = get_scope(path, headers)
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        await call(dict(scope), receive, send)
        samples.append(time.perf_counter() - started)
    assert set(statuses) == {200}, (path, set(statuses))
    return statistics.median(samples[requests // 10 :]) * 1e6


_EMPTY = b"{}"


async def _plain(request: Request) -> Response:
    return Response(_EMPTY, media_type="application/json")


async def _one(request: Request) -> int:
    return 1


async def _with_request(request: Request) -> Response:
    return Response(_EMPTY, media_type="application/json")


async def _with_dependency(x: int = Depends(_one)) -> Response:
    return Response(_EMPTY, media_type="application/json")


async def _with_header(x_queue_token: str | None = Header(None)) -> Response:
    return Response(_EMPTY, media_type="application/json")


FLOORS = {
    "/floor/starlette": Route("/floor/starlette", _plain),
    "/floor/fastapi-request": APIRoute("/floor/fastapi-request", _with_request, methods=["GET"]),
    "/floor/fastapi-dependency": APIRoute(
        "/floor/fastapi-dependency", _with_dependency, methods=["GET"]
    ),
    "/floor/fastapi-header": APIRoute("/floor/fastapi-header", _with_header, methods=["GET"]),
}


async def _floors(app: Any, requests: int) -> None:
    app.router.routes[:0] = list(FLOORS.values())
    every = list(app.user_middleware)
    plain = "/floor/starlette"
    print(f"\nmedian µs, a Starlette route placed first, {requests} requests each")
    print(f"{'every middleware':36} {await _time(app, plain, {}, requests):8.1f}")
    for left_out in every:
        app.user_middleware[:] = [kept for kept in every if kept is not left_out]
        app.middleware_stack = app.build_middleware_stack()
        name = f"without {left_out.cls.__name__}"
        print(f"{name:36} {await _time(app, plain, {}, requests):8.1f}")
    print(f"\n{'route placed first':36} {'middleware':>10} {'none':>8}")
    for path in FLOORS:
        app.user_middleware[:] = every
        app.middleware_stack = app.build_middleware_stack()
        served = await _time(app, path, {}, requests)
        app.user_middleware.clear()
        app.middleware_stack = app.build_middleware_stack()
        print(f"{path:36} {served:10.1f} {await _time(app, path, {}, requests):8.1f}")


def _turning_down(app: Any, rounds: int = 20_000) -> None:
    scope = {"type": "http", "method": "POST", "path": f"{API}/reservations", "root_path": ""}
    before = []
    for route in app.router.routes:
        if route.matches(scope)[0] is Match.FULL:
            break
        before.append(route)
    print(f"\nthe {len(before)} routes before a hold's turning its path down, µs a request")
    for name, matches in (
        ("as served", lambda route: route.matches(scope)),
        ("by FastAPI's matching", lambda route: APIRoute.matches(route, scope)),
    ):
        started = time.perf_counter()
        for _ in range(rounds):
            for route in before:
                matches(route)
        print(f"{name:36} {(time.perf_counter() - started) / rounds * 1e6:8.1f}")


async def main(requests: int, settings: Settings) -> None:
    app = create_app(settings, background=False)
    async with app.router.lifespan_context(app):
        headers, schedule_id = await _fan(app)
        targets = {
            "GET /healthz": "/healthz",
            "status poll": f"{API}/queue/status",
            "seat map": f"{API}/schedules/{schedule_id}/seats",
        }
        served: ASGI = app
        rows = {
            name: [await _time(served, path, headers, requests)] for name, path in targets.items()
        }
        planned = [(r, r.app) for r in app.router.routes if isinstance(r, LeanRoute) and r.planned]
        for route, _ in planned:
            route.app = request_response(APIRoute.get_route_handler(route))
        for name, path in targets.items():
            rows[name].append(await _time(served, path, headers, requests))
        # The app's own middleware taken out (Starlette's and FastAPI's stay: errors, exits).
        every_middleware = list(app.user_middleware)
        app.user_middleware.clear()
        app.middleware_stack = app.build_middleware_stack()
        for name, path in targets.items():
            rows[name].append(await _time(served, path, headers, requests))
        for route, served_app in planned:
            route.app = served_app
        app.user_middleware[:] = every_middleware
        app.middleware_stack = app.build_middleware_stack()
    print(f"median µs a request, in-process, {requests} requests each (first tenth dropped)")
    print(f"{'':14} {'as served':>10} {'FastAPI handler':>16} {'no middleware':>14}")
    for name, (as_served, fastapi_route, bare_stack) in rows.items():
        print(f"{name:14} {as_served:10.1f} {fastapi_route:16.1f} {bare_stack:14.1f}")
    _turning_down(app)
    async with app.router.lifespan_context(app):
        await _floors(app, requests)


if __name__ == "__main__":
    chosen = _settings()
    upgrade(chosen)  # before the loop: Alembic runs its own
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000, chosen))
