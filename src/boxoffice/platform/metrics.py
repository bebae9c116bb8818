"""Prometheus metrics and the middleware that times every request by its route template."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram, multiprocess
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Histogram(
    "boxoffice_http_request_duration_seconds",
    "HTTP request latency by route template and status.",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
HOLDS_CREATED = Counter("boxoffice_holds_created_total", "Reservations that held their seats.")
HOLD_CONFLICTS = Counter("boxoffice_hold_conflicts_total", "Holds refused: a seat was taken.")
HOLDS_EXPIRED = Counter("boxoffice_holds_expired_total", "Lapsed holds marked EXPIRED.")
MONEY_CHARGED = Counter("boxoffice_money_charged_total", "Money charged into wallets.")
MONEY_PAID = Counter("boxoffice_money_paid_total", "Money paid for tickets.")
TICKETS_SOLD = Counter("boxoffice_tickets_sold_total", "Seats paid for.")
# Calls sent together: of a server function to PostgreSQL as one statement (platform.batching),
# of the waiting room's Lua scripts to Redis as one pipeline (platform.redis_batching).
BATCH_SIZE = Histogram(
    "boxoffice_batch_size",
    "Calls sent together: PostgreSQL functions (bx_hold, bx_settle) in one statement, "
    "Redis scripts (redis_scripts) in one pipeline.",
    ["statement"],
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
# What a storm looks like from here: a dependency's connection found dead and replaced before
# use (`stale_connection`), a call sent again on a fresh connection (`retried`), a request
# answered 503 because a dependency failed (`unavailable`) or ran past its deadline (`deadline`).
DEPENDENCY_FAULTS = Counter(
    "boxoffice_dependency_faults_total",
    "Faults of PostgreSQL and Redis seen and handled, by dependency and kind.",
    ["dependency", "kind"],
)
# Requests refused by a limit on accounts and keys: sign-ups and log-ins per address, a
# username after failed log-ins, an address after failed admin keys.
REFUSED = Counter(
    "boxoffice_rate_limited_total", "Requests refused by an account or key limit.", ["kind"]
)
# The per-process caches, each bounded by a setting: what a worker's memory grows with over a
# long day, read to tell a cache filling towards its bound from a leak (docs/operations.md).
CACHE_ENTRIES = Gauge(
    "boxoffice_process_cache_entries",
    "Entries in each bounded per-process cache (seat layouts: in seats), by process.",
    ["cache"],
    multiprocess_mode="liveall",
)


def _route_template(scope: Scope) -> str:
    """The matched route's template with ids left out: `/api/v1/schedules/{schedule_id}/seats`."""
    template = getattr(scope.get("route"), "path", None)
    return "unmatched" if template is None else str(template)


class MetricsMiddleware:
    """Times each HTTP request; labels by route template so ids do not explode cardinality.

    Each labelled histogram is looked up once and kept: `labels()` takes a lock and checks its
    arguments on every call, half of what timing a request cost (with the workers' shared
    metric files, on this kind of machine: 7.8 µs for `labels()` and `observe()`, 3.8 for
    `observe()` alone). The keys are as few as `labels()`'s own children: the methods the
    server parses, the templates and the statuses.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._timers: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            key = (scope["method"], _route_template(scope), status)
            timer = self._timers.get(key)
            if timer is None:
                timer = self._timers[key] = REQUESTS.labels(key[0], key[1], str(status))
            timer.observe(time.perf_counter() - started)


_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w+_(\d+)\.db")


def forget_dead_workers() -> None:
    """With several workers (their metrics in PROMETHEUS_MULTIPROC_DIR): the live gauges of the
    workers that are gone (killed, and replaced by this one) stop counting. Nothing else marks
    them dead, so a drained line kept showing its peak and a dead worker's open streams."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    pids = set()
    for path in Path(directory).iterdir():
        found = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if found is not None:
            pids.add(int(found.group(1)))
    for pid in pids:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: alive
        return True
    return True
