"""Calls a batch in each isolated step: read from the servers' /metrics, as a client reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from time import perf_counter

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from boxoffice_rush import isolated
from boxoffice_rush.batches import calls_a_batch, parse_totals, read_totals
from boxoffice_rush.client import HttpClient
from boxoffice_rush.config import RushConfig
from boxoffice_rush.markdown import batch_lines
from boxoffice_rush.stats import Recorder

# As a server of two workers answers it (prometheus_client's multiprocess collector), trimmed.
METRICS = """\
# HELP boxoffice_batch_size Calls sent together.
# TYPE boxoffice_batch_size histogram
boxoffice_batch_size_bucket{le="1.0",statement="bx_hold"} 5.0
boxoffice_batch_size_sum{statement="bx_hold"} 17182.0
boxoffice_batch_size_count{statement="bx_hold"} 1790.0
boxoffice_batch_size_sum{statement="redis_scripts"} 292977.0
boxoffice_batch_size_count{statement="redis_scripts"} 47802.0
boxoffice_batch_size_created{statement="bx_hold"} 1.7e+09
boxoffice_holds_created_total 17182.0
"""


def test_totals_are_calls_and_batches_by_statement() -> None:
    assert parse_totals(METRICS) == {
        "bx_hold": (17182.0, 1790.0),
        "redis_scripts": (292977.0, 47802.0),
    }
    assert parse_totals("boxoffice_holds_created_total 3.0\n") == {}


def test_a_steps_calls_a_batch_are_the_difference_of_two_readings() -> None:
    before = {"bx_hold": (100.0, 10.0), "redis_scripts": (60.0, 10.0)}
    after = {
        "bx_hold": (1100.0, 110.0),  # 1,000 holds in 100 batches
        "redis_scripts": (60.0, 10.0),  # none sent during the step
        "bx_settle": (30.0, 4.0),  # its first batches
    }
    assert calls_a_batch(before, after) == {"bx_hold": 10.0, "bx_settle": 7.5}
    assert calls_a_batch({}, {}) == {}


@pytest.fixture
async def servers() -> AsyncIterator[list[str]]:
    """Two servers answering METRICS, and one asking a token for it."""

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text=METRICS, content_type="text/plain")

    async def locked(_: web.Request) -> web.Response:
        return web.Response(status=401)

    urls = []
    apps = []
    for handler in (metrics, metrics, locked):
        app = web.Application()
        app.router.add_get("/metrics", handler)
        apps.append(TestServer(app))
    for test_server in apps:
        await test_server.start_server()
        urls.append(str(test_server.make_url("")).rstrip("/"))
    yield urls
    for test_server in apps:
        await test_server.close()


async def test_the_servers_totals_are_added_up_and_a_refusal_is_its_status(servers) -> None:
    recorder = Recorder(perf_counter())
    clients = [HttpClient(url, 1, recorder) for url in servers]
    try:
        assert await read_totals(clients[:2]) == {
            "bx_hold": (34364.0, 3580.0),
            "redis_scripts": (585954.0, 95604.0),
        }
        assert await read_totals(clients) == 401
        gone = HttpClient("http://127.0.0.1:9", 1, recorder)  # nothing listens there
        assert await read_totals([gone]) == 0
        await gone.close()
    finally:
        for client in clients:
            await client.close()
    assert recorder.latencies == {}  # outside the measurement


def test_a_step_keeps_its_calls_a_batch_and_unread_ones_are_noted_once(tmp_path: Path) -> None:
    config = RushConfig(("http://127.0.0.1:8000",), "admin", tmp_path, endpoints=True)
    phase = isolated._Phase([], config, None, lambda _: None, None)
    row: dict[str, object] = {}
    phase._batches("POST /reservations", row, {"bx_hold": (0.0, 0.0)}, {"bx_hold": (97.0, 10.0)})
    assert row["calls_a_batch"] == {"bx_hold": 9.7}
    phase._batches("POST /payments", {}, 401, 401)
    phase._batches("GET /queue/status", {}, 401, 401)
    assert phase.run.notes == [
        "POST /payments: the servers' /metrics answered 401: calls a batch not read, for this "
        "step or the ones after it."
    ]


def test_the_report_lists_the_steps_that_sent_batches() -> None:
    rows = [
        {"endpoint": "GET /queue/status", "calls_a_batch": {"redis_scripts": 6.1}},
        {"endpoint": "GET /schedules/{id}/seats", "calls_a_batch": {}},
        {"endpoint": "POST /reservations", "calls_a_batch": {"bx_hold": 9.7, "redis_scripts": 6}},
        {"endpoint": "POST /payments"},
    ]
    lines = batch_lines(rows)
    assert lines[-4:] == [
        "| endpoint alone | calls a batch |",
        "| --- | --- |",
        "| GET /queue/status | redis_scripts 6.1 |",
        "| POST /reservations | bx_hold 9.7, redis_scripts 6 |",
    ]
    assert batch_lines([{"endpoint": "GET /queue/status", "calls_a_batch": {}}]) == []
