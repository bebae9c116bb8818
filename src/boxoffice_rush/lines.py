"""`boxoffice rush --lines N`: N sales at once, each a concert with a line of its own, and a
quiet line whose fans are timed alone and beside the sales (issue 17, item 6).

Each sale is the usual one (`sale.run_sale`: fans join, wait, list, hold, pay) on a concert of
its own whose line the rush opens with the rush's policy (`PUT /admin/concerts/{id}/queue`);
the fans are dealt round-robin to the lines and join with the line's `concert_id`. Each line
has its own connections, recorder and ledger, so its report is its own.

The quiet line is a concert with a line of its own and a few fans of the rush's own (its
"probe"): joins (each then left again, so every join makes a new pass) and status polls of
passes held ACTIVE, sent on a fixed schedule whatever the answers do, a latency counting from
the scheduled time (as `boxoffice queue-depth` does). It runs for `quiet_seconds` before the
sales start ("alone"), then again from the sales' start ("beside the sales"). Its fans never
wait behind the sales' fans: the quiet line is admitted on its own. What the sales can still
take from it is the machine, which they share.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import orjson

from boxoffice_rush import endpoints
from boxoffice_rush.client import HttpClient, json_body
from boxoffice_rush.config import RushConfig
from boxoffice_rush.fan import FanAccount, SaleContext
from boxoffice_rush.provision import SetupFailed, admin_headers, create_concert, provision_fans
from boxoffice_rush.queue_depth_http import Fan, Lanes, drive, leave, provision
from boxoffice_rush.queue_depth_http import Recorder as ProbeRecorder
from boxoffice_rush.sale import SaleResult, run_sale
from boxoffice_rush.stats import LatencySummary, Recorder, SalesLedger, summarize
from boxoffice_rush.waiting import StreamSwitch
from boxoffice_rush.waker import Waker

__all__ = ["LineRun", "LinesRun", "QuietPhase", "measure_lines"]

API = endpoints.API
# The quiet line's probe: its fans, and what they send a second (joins, then status polls).
QUIET_JOIN_FANS = 30
QUIET_STATUS_FANS = 20
QUIET_JOINS_PER_SECOND = 5.0
QUIET_POLLS_PER_SECOND = 20.0
QUIET_LANES = 4
QUIET_MAX_ACTIVE = 2 * (QUIET_JOIN_FANS + QUIET_STATUS_FANS)
# A quiet join is followed until its pass is ACTIVE, read this often, for this long at most.
ADMITTED_POLL_SECONDS = 0.05
ADMITTED_WITHIN_SECONDS = 10.0


@dataclass
class LineRun:
    """One line's sale: its concert, fans and what became of them."""

    line: int  # 1..N, as the report names it
    concert_id: int
    fans: int
    recorder: Recorder
    ledger: SalesLedger
    sale: SaleResult | None = None


@dataclass
class QuietPhase:
    name: str
    join: LatencySummary
    status: LatencySummary
    admitted: LatencySummary  # from a join's scheduled send until its pass was seen ACTIVE
    errors: dict[str, int]
    late_p99: float  # how late the probe's own sends were (its clock, not the server)
    # Each sale's line as the quiet line's phase ended: (waiting, active).
    lines_then: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class LinesRun:
    lines: list[LineRun]
    quiet_concert_id: int
    quiet: list[QuietPhase] = field(default_factory=list)
    seconds: float = 0.0


async def open_line(
    client: HttpClient, config: RushConfig, concert_id: int, **overrides: int
) -> None:
    """Give the concert a line of its own with the rush's policy (or `overrides`), open now."""
    policy = {
        "max_active": config.max_active,
        "admit_per_minute": config.admit_per_minute,
        "active_ttl_seconds": config.active_ttl_seconds,
        "opens_at": None,
        **overrides,
    }
    reply = await client.call(
        endpoints.SET_LINE_POLICY,
        "PUT",
        f"{API}/admin/concerts/{concert_id}/queue",
        headers=admin_headers(config),
        body=json_body(policy),
    )
    if reply.status != 200:
        raise SetupFailed(f"giving concert {concert_id} a line: HTTP {reply.status} {reply.code}")


def deal(accounts: list[FanAccount], lines: int) -> list[list[FanAccount]]:
    """The fans dealt round-robin to `lines` lines, in their order."""
    return [accounts[line::lines] for line in range(lines)]


async def measure_lines(config: RushConfig, run_id: str, say: Callable[[str], None]) -> LinesRun:
    """Set up the lines and the quiet line, time the quiet line alone, then run every line's
    sale while the quiet line is timed beside them."""
    setup_clients = [
        HttpClient(url, config.connections, Recorder(perf_counter())) for url in config.base_urls
    ]
    lanes = Lanes(config.base_urls[0], QUIET_LANES)
    line_clients: list[list[HttpClient]] = []
    try:
        say("setting up the lines")
        run, accounts = await _set_up(setup_clients, config, run_id)
        await lanes.open()
        probe = await provision(lanes, f"{run_id}q", QUIET_JOIN_FANS + QUIET_STATUS_FANS)
        joiners, pollers = probe[:QUIET_JOIN_FANS], probe[QUIET_JOIN_FANS:]
        for poller in pollers:  # passes let in at once and polled all along
            await _join(lanes, poller, run.quiet_concert_id)

        say(f"quiet line alone, {config.quiet_seconds:g} s")
        quiet = (lanes, joiners, pollers, run.quiet_concert_id, config)
        run.quiet.append(await _probe("alone", *quiet))

        say(f"{config.lines} sales at once, the quiet line beside them")
        origin = perf_counter()
        line_clients = [
            [
                HttpClient(url, config.connections, Recorder(origin), config.shop_connections)
                for url in config.base_urls
            ]
            for _ in run.lines
        ]
        sales = asyncio.gather(
            *(
                _sale(config, run_id, line_run, clients, fans, origin)
                for line_run, clients, fans in zip(
                    run.lines, line_clients, deal(accounts, config.lines), strict=True
                )
            )
        )
        try:
            beside = await _probe("beside the sales", *quiet)
            beside.lines_then = [
                await _line_figures(setup_clients[0], config, line_run.concert_id)
                for line_run in run.lines
            ]
        finally:
            results = await sales
        run.seconds = perf_counter() - origin
        for line_run, result in zip(run.lines, results, strict=True):
            line_run.sale = result
        run.quiet.append(beside)
        return run
    finally:
        await lanes.close()
        await asyncio.gather(
            *(client.close() for clients in line_clients for client in clients),
            *(client.close() for client in setup_clients),
        )


async def _set_up(
    clients: list[HttpClient], config: RushConfig, run_id: str
) -> tuple[LinesRun, list[FanAccount]]:
    """The lines' concerts, each with its line open; the quiet line's; the fans."""
    concerts = []
    for number in range(1, config.lines + 1):
        title = f"Rush {run_id} line {number}"
        concert = (await create_concert(clients[0], config, run_id, title=title))[0]
        await open_line(clients[0], config, concert)
        concerts.append(concert)
    quiet = (await create_concert(clients[0], config, run_id, [10], f"Rush {run_id} quiet"))[0]
    # Room for every probe fan at once, let in as they come: the quiet line never makes them
    # wait on its own account, so what they wait is what the other lines cost them.
    await open_line(clients[0], config, quiet, max_active=QUIET_MAX_ACTIVE, admit_per_minute=60_000)
    provisioned = await provision_fans(clients, config, run_id, Counter())
    if not provisioned.accounts:
        raise SetupFailed(f"no fan could be provisioned: {dict(provisioned.failures)}")
    dealt = deal(provisioned.accounts, config.lines)
    lines = [
        LineRun(number, concert, len(fans), Recorder(0.0), SalesLedger(config.total_seats))
        for number, (concert, fans) in enumerate(zip(concerts, dealt, strict=True), start=1)
    ]
    return LinesRun(lines, quiet), provisioned.accounts


async def _sale(
    config: RushConfig,
    run_id: str,
    line: LineRun,
    clients: list[HttpClient],
    fans: list[FanAccount],
    origin: float,
) -> SaleResult:
    line.recorder = Recorder(origin)
    context = SaleContext(
        config=config,
        concert_id=line.concert_id,
        run_id=run_id,
        origin=origin,
        ledger=line.ledger,
        waker=Waker(),
        stream=StreamSwitch(config.stream),
        rng=random.Random(None if config.seed is None else config.seed + line.line),  # noqa: S311
        join_body=json_body({"concert_id": line.concert_id}),
    )
    return await run_sale(clients, fans, context, line.recorder, lambda *_: None)


async def _line_figures(client: HttpClient, config: RushConfig, concert_id: int) -> tuple[int, int]:
    """A line's (waiting, active) now."""
    reply = await client.call(
        endpoints.LINE,
        "GET",
        f"{API}/admin/concerts/{concert_id}/queue",
        headers=admin_headers(config),
    )
    body = reply.body if isinstance(reply.body, dict) else {}
    return int(body.get("waiting", -1)), int(body.get("active", -1))


async def _join(lanes: Lanes, fan: Fan, concert_id: int) -> int:
    """POST /queue/tokens for the concert's line; keeps the pass. The HTTP status."""
    headers = {**fan.headers(), "Content-Type": "application/json"}
    status, reply = await lanes.call(
        fan.lane, "POST", "/queue/tokens", headers, orjson.dumps({"concert_id": concert_id})
    )
    if status in (200, 201) and isinstance(reply, dict):
        fan.token = str(reply["token"])
    return status


async def _probe(
    name: str,
    lanes: Lanes,
    joiners: list[Fan],
    pollers: list[Fan],
    concert_id: int,
    config: RushConfig,
) -> QuietPhase:
    """The quiet line's joins and polls for `quiet_seconds`, on a fixed schedule."""
    record = ProbeRecorder()
    start = perf_counter() + 0.05
    record.since = start

    async def join_once(k: int, due: float) -> None:
        fan = joiners[k % len(joiners)]
        async with fan.lock:  # a fan joins, is let in, then leaves, before its next turn
            record.late.append(perf_counter() - due)
            status = await _join(lanes, fan, concert_id)
            record.add("join", due, perf_counter() - due, status, 201)
            if status == 201 and await _until_active(lanes, fan):
                record.add("admitted", due, perf_counter() - due, 200, 200)
            await leave(lanes, fan)

    async def poll_once(k: int, due: float) -> None:
        fan = pollers[k % len(pollers)]
        record.late.append(perf_counter() - due)
        status, _ = await lanes.call(fan.lane, "GET", "/queue/status", fan.headers())
        record.add("status", due, perf_counter() - due, status, 200)

    senders: list[tuple[float, Callable[[int, float], Coroutine[Any, Any, None]]]] = [
        (QUIET_JOINS_PER_SECOND, join_once),
        (QUIET_POLLS_PER_SECOND, poll_once),
    ]
    await asyncio.gather(
        *(drive(rate, config.quiet_seconds, start, send) for rate, send in senders)
    )
    late = summarize(record.late)
    return QuietPhase(
        name,
        summarize(record.latencies["join"]),
        summarize(record.latencies["status"]),
        summarize(record.latencies["admitted"]),
        dict(record.errors),
        late.p99,
    )


async def _until_active(lanes: Lanes, fan: Fan) -> bool:
    """Poll the fan's new pass every ADMITTED_POLL_SECONDS until it is ACTIVE (at most
    ADMITTED_WITHIN_SECONDS); whether it was."""
    deadline = perf_counter() + ADMITTED_WITHIN_SECONDS
    while perf_counter() < deadline:
        status, reply = await lanes.call(fan.lane, "GET", "/queue/status", fan.headers())
        if status == 200 and isinstance(reply, dict) and reply.get("status") == "ACTIVE":
            return True
        await asyncio.sleep(ADMITTED_POLL_SECONDS)
    return False
