"""What the app's middleware costs a request, in-process: GET /healthz (no work of its own) as
served, without each of the app's middleware in turn and without all of them, and the bare app
that does nothing (`boxoffice.bare`), on the embedded default.

    PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) .venv/bin/python scripts/profiling/stack_cost.py

(The variable as `boxoffice serve` sets it for its workers: the metrics then write to files
the workers share, which costs more than in one process.) Each app is called as a server calls
it (one ASGI call a request, no sockets), 10,000 requests a round, the apps' rounds interleaved
so that a slower spell of a shared machine falls on all of them; the process's CPU time a
request, the least and the median of five rounds. The garbage collector is tuned as a served
worker's is (platform/runtime.py).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from typing import Any

import route_cost  # beside this script: the in-process runs' settings and scope
import uvloop
from fastapi import FastAPI

from boxoffice import bare
from boxoffice.app import create_app
from boxoffice.platform.runtime import tune_garbage_collector

REQUESTS = 10_000
ROUNDS = 5


async def _cpu(app: Any, path: str) -> float:
    """CPU µs a request for `REQUESTS` GETs of `path`, one after the other."""
    scope = route_cost.get_scope(path, {})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"{path} answered {message['status']}")

    started = time.process_time()
    for _ in range(REQUESTS):
        await app(dict(scope), receive, send)
    return (time.process_time() - started) / REQUESTS * 1e6


def _without(names: set[str]) -> FastAPI:
    app = create_app(route_cost._settings(), background=False)
    app.user_middleware = [m for m in app.user_middleware if m.cls.__name__ not in names]
    return app


async def main() -> None:
    os.environ[bare.KIND_VARIABLE] = bare.BareApp.NOTHING
    served = create_app(route_cost._settings(), background=False)
    names = [middleware.cls.__name__ for middleware in served.user_middleware]
    apps: dict[str, tuple[Any, str]] = {
        "bare app (nothing)": (bare.create_app(), bare.PATH),
        "GET /healthz as served": (served, "/healthz"),
        **{f"  without {name}": (_without({name}), "/healthz") for name in names},
        "  without all of them": (_without(set(names)), "/healthz"),
    }
    tune_garbage_collector()
    async with contextlib.AsyncExitStack() as stack:
        for app, path in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
            await _cpu(app, path)  # warm
        rounds: dict[str, list[float]] = {label: [] for label in apps}
        for _ in range(ROUNDS):
            for label, (app, path) in apps.items():
                rounds[label].append(await _cpu(app, path))
    print(f"CPU µs a request, in-process, {ROUNDS} rounds of {REQUESTS:,}: least, median")
    for label, figures in rounds.items():
        print(f"{label:<42} {min(figures):6.1f} {statistics.median(figures):6.1f}")


if __name__ == "__main__":
    uvloop.run(main())
