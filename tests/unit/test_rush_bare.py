"""The bare apps really serve, under the server and options `boxoffice serve` uses."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from time import perf_counter
from typing import Any

import pytest

from boxoffice import cli
from boxoffice.bare import KIND_VARIABLE, _Pools
from boxoffice.bare import BareApp as ServedApp
from boxoffice.settings import Settings
from boxoffice_rush import ceiling
from boxoffice_rush.bare_apps import BareApp
from boxoffice_rush.bare_servers import BareBench, BareServer, unmeasurable
from boxoffice_rush.client import HttpClient
from boxoffice_rush.stats import Recorder

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_a_bare_app_is_served_as_boxoffice_serve_serves_the_product(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BOXOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv(KIND_VARIABLE, raising=False)  # serve-bare sets it; put back after
    runs: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: runs.append((app, options)))
    monkeypatch.setattr(cli, "_check_schema", lambda _settings: None)  # nothing to migrate here
    cli.serve(host="127.0.0.1", port=8123, workers=1)
    cli.serve_bare("redis", host="127.0.0.1", port=8123, workers=1)
    (product, served), (bare, bare_served) = runs
    assert (product, bare) == ("boxoffice.app:create_served_app", "boxoffice.bare:create_app")
    assert served == bare_served
    assert os.environ[KIND_VARIABLE] == "redis"


@pytest.mark.parametrize("app", list(BareApp))
def test_the_rush_names_each_bare_app_as_serve_bare_knows_it(
    app: BareApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The rush starts the bare apps through the public command only: its names are the command's.
    monkeypatch.setenv("BOXOFFICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv(KIND_VARIABLE, raising=False)
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: None)
    cli.serve_bare(app.slug, host="127.0.0.1", port=8123, workers=1)
    served = ServedApp[app.name]
    assert os.environ[KIND_VARIABLE] == served.value
    assert (served.uses_redis, served.uses_postgres) == (app.uses_redis, app.uses_postgres)


def test_the_rush_knows_every_bare_app_there_is() -> None:
    assert {app.slug for app in BareApp} == {app.value for app in ServedApp}


def test_an_app_needing_what_the_servers_lack_is_not_measured() -> None:
    embedded: dict[str, str] = {}
    assert unmeasurable(BareApp.NOTHING, embedded) == ""
    assert "Redis" in unmeasurable(BareApp.REDIS, embedded)
    sqlite = {"BOXOFFICE_REDIS_URL": REDIS_URL, "BOXOFFICE_DATABASE_URL": "sqlite+aiosqlite://"}
    assert unmeasurable(BareApp.REDIS, sqlite) == ""
    assert "PostgreSQL" in unmeasurable(BareApp.REDIS_POSTGRES, sqlite)


async def _answer(server: BareServer) -> tuple[str, int]:
    client = HttpClient(server.url, 2, Recorder(perf_counter()))
    server.start()
    try:
        problem = await server.ready(client, seconds=8.0)
        reply = await client.call("bare", "GET", "/", retries=0)
        return problem, reply.status
    finally:
        await client.close()
        server.stop()


@pytest.mark.parametrize("app", [BareApp.NOTHING, BareApp.REDIS])
def test_a_bare_app_answers_on_a_free_port_and_stops(app: BareApp, tmp_path: Path) -> None:
    env = {"BOXOFFICE_REDIS_URL": REDIS_URL, "BOXOFFICE_DATA_DIR": str(tmp_path)}
    server = BareServer(app, 1, env, tmp_path / "bare.log")
    problem, status = asyncio.run(_answer(server))
    assert (problem, status) == ("", 200)
    assert server.exited()


class _Trips:
    """Stands in for a bare app's Redis client and PostgreSQL pool, noting each round trip."""

    def __init__(self) -> None:
        self.made: list[str] = []

    async def get(self, _key: str) -> None:
        self.made.append("redis")

    def acquire(self) -> Any:
        trips = self

        class _Connection:
            async def __aenter__(self) -> _Connection:
                return self

            async def __aexit__(self, *_exc: object) -> None:
                return None

            async def fetchval(self, _query: str) -> int:
                trips.made.append("postgres")
                return 1

        return _Connection()


@pytest.mark.parametrize(
    ("app", "made"),
    [
        (ServedApp.NOTHING, []),
        (ServedApp.REDIS, ["redis"]),
        (ServedApp.POSTGRES, ["postgres"]),
        (ServedApp.REDIS_POSTGRES, ["redis", "postgres"]),
        # A payment's: the pass checked, the payment, the pass used up.
        (ServedApp.REDIS_POSTGRES_REDIS, ["redis", "postgres", "redis"]),
    ],
)
def test_each_bare_app_makes_the_round_trips_it_is_named_for_in_order(
    app: ServedApp, made: list[str]
) -> None:
    pools = _Pools(app, Settings())
    trips = _Trips()
    pools.redis = trips if app.uses_redis else None  # type: ignore[assignment]
    pools.postgres = trips if app.uses_postgres else None  # type: ignore[assignment]
    asyncio.run(pools.round_trips())
    assert trips.made == made


def _bench(tmp_path: Path, env: dict[str, str] | None = None) -> BareBench:
    env = {"BOXOFFICE_DATA_DIR": str(tmp_path), **(env or {})}
    return BareBench(workers=1, server_env=env, loops=2, seconds=0.3, logs=tmp_path)


async def test_a_bench_keeps_each_app_up_between_measurements_until_it_closes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ceiling, "WARM_UP_SECONDS", 0.05)
    bench = _bench(tmp_path)
    async with bench:
        first = await bench.measure(BareApp.NOTHING)
        (server, _client) = bench._running[BareApp.NOTHING]
        second = await bench.measure(BareApp.NOTHING)
        assert bench._running[BareApp.NOTHING][0] is server  # the same server, not a new one
        assert not server.exited()
    assert server.exited()
    assert not bench._running
    for figure in (first, second):
        assert figure.note == ""
        assert figure.ceiling is not None
        assert figure.ceiling.requests > 0
        assert figure.ceiling.errors == 0


async def test_a_bench_says_why_an_app_is_not_measured_and_does_not_try_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    async with _bench(tmp_path) as bench:
        lacking = await bench.measure(BareApp.REDIS)  # the servers' settings name no Redis
        assert lacking.ceiling is None
        assert "no Redis" in lacking.note
        assert not bench._running
        # A server that exits at start: said, and not started again at the next measurement.
        monkeypatch.setattr(BareServer, "start", lambda self: None)
        monkeypatch.setattr(BareServer, "ready", _never_ready)
        failed = await bench.measure(BareApp.NOTHING)
        assert (failed.ceiling, failed.note) == (None, "not measured: exited at start: boom")
        monkeypatch.setattr(BareServer, "ready", _must_not_start)
        again = await bench.measure(BareApp.NOTHING)
        assert again.note == failed.note
        assert not bench._running


async def _never_ready(self: BareServer, client: HttpClient, seconds: float = 0) -> str:
    return "exited at start: boom"


async def _must_not_start(self: BareServer, client: HttpClient, seconds: float = 0) -> str:
    raise AssertionError("a server that failed to start was started again")
