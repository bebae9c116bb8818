"""Scenario 6: a rolling restart behind nginx, during a sale, with fans on the event stream.

nginx (Debian's, with deploy/nginx/boxoffice.conf, the config docs/operations.md recommends)
stands in front of the instances, and every client goes through it. Each instance in turn gets
SIGTERM, must exit within seconds, and comes back on its port, while the sale goes on:
- nginx sends what a stopping instance refuses to another one, so the fans' requests (retried,
  if at all, with the same Idempotency-Key) lose nothing and fail at most as a 503;
- event streams end at once with a `reconnect` event and a `retry:` hint, instead of holding
  the instance for the whole graceful timeout; each fan's stream connects again through nginx,
  keeps its place in line, and later hears its ACTIVE status.
The line is slowed (ADMIT_PER_MINUTE) while the instances restart, so that the stream fans, who
join behind every fan of the sale, are still waiting when the last instance has restarted; then
the line is let go, and the sale and the streams end.

Shorter tests hold the parts: one instance, given SIGTERM while a request is held in flight
(its database answers held by a FaultProxy), finishes that request, refuses new connections
and ends its stream at once; one whose admission loop is nearly always inside a Redis command
when it is cancelled exits within seconds of each SIGTERM; the fans' page itself, in Chromium,
stays live through a rolling restart (its EventSource connects again by itself); and behind
nginx each client is counted by its own address.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Locator, Page, async_playwright

from boxoffice.cli import GRACEFUL_SHUTDOWN_SECONDS
from boxoffice.waiting_room.stream import RECONNECT_MS
from tests.browser.support import FAILED_4XX
from tests.faults.checks import assert_sale_clean
from tests.faults.conftest import MakeInstances, MakeProxy
from tests.faults.instances import Instances
from tests.faults.nginx import Nginx
from tests.faults.own_postgres import OwnPostgres
from tests.faults.proxy import FaultProxy
from tests.faults.sale import Sale, SaleConfig
from tests.faults.sale_report import SaleReport
from tests.faults.shop_client import API
from tests.faults.stream_fan import StreamConnection, StreamFan

MakeNginx = Callable[[Instances], Nginx]

# An instance with nothing in flight stops in a fraction of a second; a held event stream would
# keep it GRACEFUL_SHUTDOWN_SECONDS (10 s). The bound lies between, for a loaded machine.
DRAINED_WITHIN = 5.0
assert DRAINED_WITHIN < GRACEFUL_SHUTDOWN_SECONDS
# While the instances restart, 3 fans a second are let in (after a burst of 15): the hundreds of
# fans ahead of the stream fans then take minutes, where a restart takes 3 to 10 s.
ADMIT_PER_MINUTE = 180
STREAMS_PER_INSTANCE = 2  # at least, before the first restart
MOST_STREAMS_PER_INSTANCE = 12  # nginx's turns are shared with the sale: some luck is needed
PATIENCE = 60.0  # for anything the test waits on (the sale has its own deadline)
# Debian's Chromium, as the browser tests drive it (tests/browser/conftest.py).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
LIVE = "Live updates"  # the page's word for following the line on the event stream
# The sale's POSTs: nginx sends one to another instance only if the first never got it.
SENT_ONCE_BY_NGINX = {"sign_up", "log_in", "charge", "join", "hold", "pay", "admin"}


@pytest.fixture
def make_nginx(log_folder: Path) -> Iterator[MakeNginx]:
    """`make_nginx(instances)`: a started nginx in front of them, stopped with the test."""
    started: list[Nginx] = []

    def make(instances: Instances) -> Nginx:
        nginx = Nginx(instances.ports, log_folder)
        started.append(nginx)
        nginx.start()
        return nginx

    yield make
    for nginx in started:
        nginx.close()


@contextlib.asynccontextmanager
async def _cancelled_at_the_end(tasks: list[asyncio.Task[Any]]) -> AsyncIterator[None]:
    """On the way out, passed or failed, the tasks still running are cancelled and awaited."""
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _until(condition: Callable[[], bool], what: str, within: float = PATIENCE) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"never within {within} s: {what}"
        await asyncio.sleep(0.02)


async def _fan_in_line(http: httpx.AsyncClient) -> tuple[str, str]:
    """A new account, logged in and in the line: (access token, pass)."""
    body = {"username": f"s{uuid.uuid4().hex[:12]}", "password": "password-123"}
    created = await http.post(f"{API}/users", json=body)
    assert created.status_code == 201, created.text
    login = await http.post(f"{API}/auth/token", data=body)
    assert login.status_code == 200, login.text
    access = login.json()["access_token"]
    joined = await http.post(f"{API}/queue/tokens", headers={"authorization": f"Bearer {access}"})
    assert joined.status_code == 201, joined.text
    return access, joined.json()["token"]


async def _room(http: httpx.AsyncClient, admin_key: str, **policy: int) -> dict[str, int]:
    """The line's counts (GET /admin/queue), after setting `policy` fields if any."""
    headers = {"x-admin-key": admin_key}
    if policy:
        answer = await http.put(f"{API}/admin/queue", json=policy, headers=headers)
    else:
        answer = await http.get(f"{API}/admin/queue", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _instance_address(instances: Instances, index: int) -> str:
    return f"127.0.0.1:{instances.ports[index]}"


def _stream_problems(fan: StreamFan) -> list[str]:
    """What a stream fan must never see: a refused or failed connection, an end without the
    hint, a hint out of range, a place that grew, or no ACTIVE in the end."""
    problems = []
    for connection in fan.connections:
        if connection.status != 200 or connection.ended not in ("reconnect", "active"):
            problems.append(f"connection to {connection.instance!r}: {connection}")
        for event in connection.events:
            if event.name == "reconnect" and not (
                RECONNECT_MS[0] <= (event.retry_ms or 0) <= RECONNECT_MS[1]
            ):
                problems.append(f"reconnect hint {event}")
    if fan.positions != sorted(fan.positions, reverse=True):
        problems.append(f"the place in line grew: {fan.positions}")
    if not fan.connections or fan.connections[-1].ended != "active":
        problems.append("never heard ACTIVE")
    return problems


async def _open_streams(
    http: httpx.AsyncClient,
    nginx: Nginx,
    instances: Instances,
    deadline: float,
    fans: list[StreamFan],
    tasks: list[asyncio.Task[None]],
) -> None:
    """Fans join (behind the sale's) and follow their pass through nginx, until every instance
    serves at least STREAMS_PER_INSTANCE of their streams (nginx picks where each goes)."""

    def served_by(index: int) -> int:
        address = _instance_address(instances, index)
        return sum(fan.connections[-1].instance == address for fan in fans)

    while any(served_by(i) < STREAMS_PER_INSTANCE for i in range(len(instances.ports))):
        assert len(fans) < MOST_STREAMS_PER_INSTANCE * len(instances.ports), (
            "nginx never spread the streams over every instance"
        )
        fan = StreamFan(nginx.url, *await _fan_in_line(http))
        fans.append(fan)
        tasks.append(asyncio.create_task(fan.follow(http, deadline)))
        await asyncio.wait_for(fan.first_status.wait(), PATIENCE)


async def _until_nginx_sends_to(nginx: Nginx, address: str, since: float) -> None:
    """Until nginx logs an answer from the instance at `address` after `since` (wall clock)."""
    deadline = time.monotonic() + PATIENCE
    while not any(line.at >= since and line.upstreams[-1:] == [address] for line in nginx.lines()):
        assert time.monotonic() < deadline, f"nginx never sent a request to {address} again"
        await asyncio.sleep(0.2)


@dataclass(frozen=True)
class Restart:
    index: int
    round: int
    signalled_at: float  # time.monotonic() just before the SIGTERM
    exit_seconds: float  # from the SIGTERM until the process had exited

    @property
    def name(self) -> str:
        return f"{self.round}_{self.index}"


async def _rolling_restart(
    instances: Instances, nginx: Nginx, report: SaleReport, rounds: int
) -> list[Restart]:
    """Each instance in turn, `rounds` times: SIGTERM, until it exits; start it, until ready;
    then, as docs/operations.md says, until nginx sends it requests again (its passive health
    check keeps an instance that refused connections out for `fail_timeout`: stopping the next
    one before that would leave nginx no instance it believes in). Blocking calls go to a
    thread: the sale and the streams run on meanwhile."""
    restarts = []
    for round_ in range(rounds):
        for index in range(len(instances.ports)):
            report.mark(f"sigterm_{round_}_{index}")
            sent = time.monotonic()
            await asyncio.to_thread(instances.terminate, index)
            restarts.append(Restart(index, round_, sent, time.monotonic() - sent))
            await asyncio.to_thread(instances.start, index)
            ready_at = time.time()
            report.mark(f"ready_{round_}_{index}")
            await _until_nginx_sends_to(nginx, _instance_address(instances, index), ready_at)
            report.mark(f"back_{round_}_{index}")
    return restarts


def _served_while_restarting(
    nginx: Nginx, report: SaleReport, restarts: list[Restart]
) -> list[Counter[str]]:
    """What nginx answered while each instance restarted (from its SIGTERM until it was ready
    again), by method and path."""
    lines = nginx.lines()
    windows: list[Counter[str]] = []
    for restart in restarts:
        start, end = (
            report.started_at + report.marks[f"{mark}_{restart.name}"]
            for mark in ("sigterm", "ready")
        )
        windows.append(
            Counter(f"{line.method} {line.path}" for line in lines if start <= line.at <= end)
        )
    return windows


def _unclean_stops(instances: Instances) -> list[str]:
    """Lines of the instances' logs that say a stop was not clean: uvicorn's graceful timeout
    ran out (what it still served was cancelled), or an error's traceback."""
    return [
        line
        for index in range(len(instances.ports))
        for line in instances.log(index).read_text(errors="replace").splitlines()
        if "graceful shutdown exceeded" in line or "Traceback" in line
    ]


def _stream_connections_at(
    fans: list[StreamFan], address: str, moment: float
) -> list[StreamConnection]:
    return [
        c for fan in fans for c in fan.connections if c.instance == address and c.open_at(moment)
    ]


async def _rolling_restart_during_a_sale(
    fans: int,
    seats: int,
    count: int,
    rounds: int,
    scenario: str,
    make_instances: MakeInstances,
    make_nginx: MakeNginx,
    own_postgres: OwnPostgres,
) -> None:
    instances = make_instances(count, queue_admit_per_minute=ADMIT_PER_MINUTE)
    nginx = make_nginx(instances)
    # The sale's own deadline, and the streams', make room for every restart (10 to 20 s each).
    config = SaleConfig(fans, seats, deadline_seconds=150 + 20 * rounds * count)
    sale = Sale([nginx.url], instances.admin_key, config, scenario)
    sale.report.instances = count  # behind the one URL the fans know
    stream_timeout = httpx.Timeout(10.0, read=None)  # a stream is quiet between heartbeats
    stream_fans: list[StreamFan] = []
    follows: list[asyncio.Task[None]] = []
    async with (
        httpx.AsyncClient(base_url=nginx.url, timeout=stream_timeout) as http,
        sale.in_background() as running,
        _cancelled_at_the_end(follows),
    ):
        # Every fan of the sale in line first: the stream fans then wait behind them all.
        await _until_joined(http, instances.admin_key, fans)
        deadline = time.monotonic() + 4 * PATIENCE + 20 * rounds * count
        await _open_streams(http, nginx, instances, deadline, stream_fans, follows)
        sale.report.mark("streams_open")

        restarts = await _rolling_restart(instances, nginx, sale.report, rounds)

        # The restarts were made under load, and before any stream fan's turn came.
        assert not running.done(), f"the sale ended before the last restart: {sale.report}"
        assert not any(fan.active.is_set() for fan in stream_fans), "the line moved too fast"
        await _room(http, instances.admin_key, admit_per_minute=60_000)
        sale.report.mark("line_let_go")
        report = await running
        await asyncio.wait_for(asyncio.gather(*follows), PATIENCE)

    served = _served_while_restarting(nginx, report, restarts)
    report.figures.update(
        exit_seconds=[round(restart.exit_seconds, 2) for restart in restarts],
        served_while_restarting=[sum(window.values()) for window in served],
        paid_while_restarting=sum(window["POST /api/v1/payments"] for window in served),
        stream_fans=len(stream_fans),
        stream_reconnects=sum(len(fan.connections) - 1 for fan in stream_fans),
        **nginx.figures(),
    )
    await assert_sale_clean(sale, instances, own_postgres, check_url=nginx.url)

    summary = report.summary()
    assert report.gave_up == 0, summary
    assert set(report.outcomes) <= {"paid", "sold_out"}, summary
    # Under load: the sale was served while each instance restarted, payments among it.
    assert all(report.figures["served_while_restarting"]), summary
    assert report.figures["paid_while_restarting"] > 0, summary
    # nginx felt the restarts (it sent requests to another instance), and the clients did not:
    # nothing but a POST nginx must not send twice ever failed, and that only as a 503.
    assert report.figures["nginx_retried_elsewhere"] > 0, summary
    for kind, stats in report.kinds.items():
        allowed = {"503"} if kind in SENT_ONCE_BY_NGINX else set()
        assert set(stats.failures_by) <= allowed, f"{kind}: {stats.failures_by}; {summary}"
    for restart in restarts:
        # Each instance drained within seconds, although it served event streams when stopped
        # (every one did in the first round: the streams were spread over all)...
        assert restart.exit_seconds < DRAINED_WITHIN, f"{restart}: {summary}"
        address = _instance_address(instances, restart.index)
        held = _stream_connections_at(stream_fans, address, restart.signalled_at)
        assert held or restart.round > 0, f"no stream was on {restart} when it was stopped"
        # ... each of which ended with the hint to reconnect.
        assert all(c.ended == "reconnect" for c in held), held
    problems = {i: _stream_problems(fan) for i, fan in enumerate(stream_fans)}
    assert not any(problems.values()), problems
    assert all(len(fan.connections) >= 2 for fan in stream_fans), "a stream never reconnected"
    assert not _unclean_stops(instances), _unclean_stops(instances)


async def test_a_rolling_restart_behind_nginx_loses_nothing_and_streams_reconnect(
    make_instances: MakeInstances, make_nginx: MakeNginx, own_postgres: OwnPostgres
) -> None:
    await _rolling_restart_during_a_sale(
        200, 250, 3, 1, "rolling_restart", make_instances, make_nginx, own_postgres
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_two_rolling_restarts_of_four_instances_during_a_bigger_sale(
    make_instances: MakeInstances, make_nginx: MakeNginx, own_postgres: OwnPostgres
) -> None:
    await _rolling_restart_during_a_sale(
        500, 600, 4, 2, "rolling_restart_twice", make_instances, make_nginx, own_postgres
    )


async def _until_joined(http: httpx.AsyncClient, admin_key: str, fans: int) -> None:
    """Until the line counts `fans` joins (waiting, or let in since)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        room = await _room(http, admin_key)
        if room["waiting"] + room["admitted_total"] >= fans:
            return
        assert time.monotonic() < deadline, f"the sale's fans never all joined: {room}"
        await asyncio.sleep(0.1)


async def _wait_for_upstream_bytes(proxy: FaultProxy, more_than: int) -> None:
    await _until(lambda: proxy.forwarded["upstream"] > more_than, "the request reached PostgreSQL")


async def test_sigterm_finishes_requests_in_flight_refuses_new_ones_and_ends_streams_at_once(
    make_instances: MakeInstances, make_proxy: MakeProxy, own_postgres: OwnPostgres
) -> None:
    """One instance, reached directly, its database through a proxy that can hold the answers:
    a request is held in flight while the instance gets SIGTERM."""
    to_database = make_proxy(own_postgres.url)
    instances = make_instances(
        1,
        serve_database_url=to_database.rewrite(own_postgres.url),
        # Nothing else talks to PostgreSQL meanwhile, and the held request has time to wait.
        sweeper_interval_seconds=3600,
        request_deadline_seconds=30,
    )
    url = instances.base_urls[0]
    tasks: list[asyncio.Task[Any]] = []
    async with (
        httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10.0, read=None)) as http,
        _cancelled_at_the_end(tasks),
    ):
        await _room(http, instances.admin_key, max_active=1)
        access, _ = await _fan_in_line(http)  # takes the one slot
        stream_fan = StreamFan(url, *await _fan_in_line(http))  # waits second in line
        tasks.append(asyncio.create_task(stream_fan.follow(http, time.monotonic() + PATIENCE)))
        await asyncio.wait_for(stream_fan.first_status.wait(), PATIENCE)

        to_database.blackhole("downstream")
        sent_before = to_database.forwarded["upstream"]
        wallet = asyncio.create_task(
            http.get(f"{API}/wallet", headers={"authorization": f"Bearer {access}"})
        )
        tasks.append(wallet)
        await _wait_for_upstream_bytes(to_database, sent_before)
        signalled = time.monotonic()
        stopping = asyncio.create_task(asyncio.to_thread(instances.terminate, 0))
        tasks.append(stopping)

        # The stream ends at once with the hint, while the request is still held...
        await _until(lambda: len(stream_fan.connections) > 1, "the stream ended", within=5)
        ended = stream_fan.connections[0]
        assert ended.ended == "reconnect", ended
        assert ended.events[-1].retry_ms is not None, ended
        # ... and new connections are refused, the instance still up for the one in flight.
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient(timeout=5) as fresh:
                await fresh.get(f"{url}/healthz")
        assert instances.is_running(0)
        assert not wallet.done()

        to_database.heal()
        answer = await asyncio.wait_for(wallet, PATIENCE)
        assert answer.status_code == 200, answer.text  # the request in flight was served whole
        await asyncio.wait_for(stopping, PATIENCE)
        exited_after = time.monotonic() - signalled

    assert exited_after < DRAINED_WITHIN, f"{exited_after:.1f} s from SIGTERM to exit"
    assert not _unclean_stops(instances), _unclean_stops(instances)


# Admitting every millisecond, the admission loop is nearly always inside a Redis command when
# the lifespan cancels it: where redis-py, on Python 3.11, can lose the cancel (background.py).
BUSY_ADMISSION_SECONDS = 0.001
BUSY_STOPS = 3


def test_sigterm_stops_an_instance_whose_admission_loop_is_in_a_redis_command(
    make_instances: MakeInstances,
) -> None:
    """Each SIGTERM ends the instance within seconds, whatever its admission loop was doing."""
    instances = make_instances(1, admission_interval_seconds=BUSY_ADMISSION_SECONDS)
    exit_seconds = []
    for _ in range(BUSY_STOPS):
        signalled = time.monotonic()
        instances.terminate(0)
        exit_seconds.append(time.monotonic() - signalled)
        instances.start(0)

    assert all(seconds < DRAINED_WITHIN for seconds in exit_seconds), exit_seconds
    assert not _unclean_stops(instances), _unclean_stops(instances)


async def test_the_instances_see_the_address_nginx_saw_not_what_a_client_claims(
    make_instances: MakeInstances, make_nginx: MakeNginx
) -> None:
    """The per-IP limit of joins, behind nginx: each client address has its own budget (nginx
    passes it in X-Forwarded-For, believed from nginx alone: BOXOFFICE_TRUSTED_PROXIES), and a
    client cannot claim another address to get more."""
    instances = make_instances(1, queue_limit_per_ip=2, trusted_proxies="127.0.0.1")
    nginx = make_nginx(instances)

    async def join_from(address: str, claimed: str | None = None) -> int:
        transport = httpx.AsyncHTTPTransport(local_address=address)
        headers = {"x-forwarded-for": claimed} if claimed else {}
        async with httpx.AsyncClient(
            base_url=nginx.url, transport=transport, headers=headers, timeout=10
        ) as http:
            body = {"username": f"x{uuid.uuid4().hex[:12]}", "password": "password-123"}
            assert (await http.post(f"{API}/users", json=body)).status_code == 201
            access = (await http.post(f"{API}/auth/token", data=body)).json()["access_token"]
            joined = await http.post(
                f"{API}/queue/tokens", headers={"authorization": f"Bearer {access}"}
            )
            return joined.status_code

    assert [await join_from("127.0.0.2") for _ in range(2)] == [201, 201]
    assert await join_from("127.0.0.2", claimed="198.51.100.7") == 429  # over its budget
    # Another address has its own budget: the instance did not count nginx's address.
    assert await join_from("127.0.0.3") == 201


async def _until_text(locator: Locator, prefix: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not (await locator.text_content() or "").startswith(prefix):
        assert time.monotonic() < deadline, f"the page never said {prefix!r}"
        await asyncio.sleep(0.1)


async def _until_true(page: Page, expression: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not await page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true on the page: {expression}"
        await asyncio.sleep(0.1)


async def _keep_asking(http: httpx.AsyncClient, statuses: Counter[str]) -> None:
    """A monitor's GET /readyz through nginx, ten times a second: some traffic for nginx to
    send to a restarted instance, and every answer counted (a transport error by its name)."""
    while True:
        try:
            statuses[str((await http.get("/readyz")).status_code)] += 1
        except httpx.TransportError as error:
            statuses[type(error).__name__] += 1
        await asyncio.sleep(0.1)


async def test_the_web_client_follows_its_place_live_through_a_rolling_restart(
    make_instances: MakeInstances, make_nginx: MakeNginx
) -> None:
    """The fans' page itself, in Debian's Chromium, through nginx: its EventSource, ended by
    each instance that stops, connects again by itself and stays live (it never falls back to
    polling), and the page moves on when the fan's turn comes."""
    instances = make_instances(2)
    nginx = make_nginx(instances)
    report = SaleReport("web_client_rolling_restart", 1, 0, len(instances.ports))
    answers: Counter[str] = Counter()
    tasks: list[asyncio.Task[Any]] = []
    async with (
        httpx.AsyncClient(base_url=nginx.url, timeout=10) as http,
        async_playwright() as driver,
        _cancelled_at_the_end(tasks),
    ):
        await _room(http, instances.admin_key, max_active=1)
        await _fan_in_line(http)  # takes the one slot
        access, pass_token = await _fan_in_line(http)  # first in line behind it
        tasks.append(asyncio.create_task(_keep_asking(http, answers)))
        browser = await driver.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = await browser.new_page()
        problems: list[str] = []
        page.on(
            "console",
            lambda message: (
                problems.append(message.text)
                if message.type == "error" and not FAILED_4XX.match(message.text)
                else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        # The tab of a fan who joined: it resumes on the line (see web/app.js).
        saved = {"accessToken": access, "username": "fan", "pass": {"token": pass_token}}
        await page.add_init_script(
            "".join(
                f"sessionStorage.setItem('boxoffice.{name}', {json.dumps(json.dumps(value))});"
                for name, value in saved.items()
            )
        )
        await page.goto(nginx.url)
        mode = page.locator("#queue-mode")
        await _until_text(mode, LIVE)

        restarts = await _rolling_restart(instances, nginx, report, 1)

        streams = [line for line in nginx.lines() if line.path == f"{API}/queue/stream"]
        assert len(streams) >= 1, "no stream of the page was ended by a restart"
        assert {line.status for line in streams} == {200}, streams
        assert (await mode.text_content() or "").startswith(LIVE), "the page fell back to polling"
        await _room(http, instances.admin_key, max_active=2)  # the fan's turn
        await _until_true(
            page, "JSON.parse(sessionStorage.getItem('boxoffice.pass'))?.status === 'ACTIVE'"
        )
        await browser.close()

    assert not problems, problems
    assert all(restart.exit_seconds < DRAINED_WITHIN for restart in restarts), restarts
    # The monitor never saw an instance stop: nginx answered every one of its requests 200.
    assert set(answers) == {"200"}, answers
