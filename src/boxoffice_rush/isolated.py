"""`--endpoints`: each hot endpoint alone, between the ceiling and the sale, on the same servers.

A sale calls every endpoint at once and each in its own stretch of time, so its per-endpoint
rates describe the fans' mix, not what an endpoint can do. Here each endpoint is driven alone for
`endpoint_seconds` by the ceiling's machinery (`connections` loops per URL, keep-alive, warm-up),
after an untimed preparation of what it needs, on a concert of its own:

- join: fresh fans, each joining once, while nobody is admitted (max_active = the active count);
- status poll: the fans that joined, still waiting, polled in turn; then they leave the line;
- seat map: admitted fans reading a date of the sale's seat count;
- hold: admitted fans holding one seat each, a different seat of a date with one per fan;
- pay: admitted fans paying their hold once (which uses their pass up).

With the ceiling measured, each step's reference bare app (`references`) is measured right
before and right after the step, on the same host a few seconds apart, and the step is rated
against the mean of the two: on this kind of host a bare app's rate drifts by a fifth within a
minute (docs/benchmarks.md), so one measured minutes earlier, in the ceiling, would rate the
host's drift as much as the endpoint.

Afterwards no fan of this phase holds a pass or a seat, the sale's policy is back, and the
phase waits until its admissions have left the room's one-minute window, so that the sale's
wait estimates (and so its fans' polling) are as they would have been without it.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from boxoffice_rush import endpoints
from boxoffice_rush.bare_servers import BareBench, BareFigure
from boxoffice_rush.batches import METRICS_PATH, Totals, calls_a_batch, read_totals
from boxoffice_rush.client import HttpClient
from boxoffice_rush.config import RushConfig
from boxoffice_rush.isolated_prep import PhaseFan, Preparer
from boxoffice_rush.provision import create_concert, provision_accounts
from boxoffice_rush.references import REFERENCES, beside_figures
from boxoffice_rush.stats import Recorder
from boxoffice_rush.targets import isolated_row
from boxoffice_rush.window import Job, OneShot, RoundRobin, WindowResult, run_window

__all__ = ["IsolatedRun", "pool_sizes", "run_isolated"]

API = endpoints.API
# Fans to provision, per ceiling (GET /healthz) request/s and second of a step: enough for the
# one-shot steps (join; hold, then pay) to fill their window at POOL_MARGIN times the share of
# the ceiling issue 6 asked of them (join 0.25, hold 0.12). A faster endpoint uses its pool up
# early: its rate is measured over the shorter span, and the report says so. Provisioning is
# the slowest part of the phase, hence no more.
POOL_MARGIN = 1.2
JOIN_SHARE = 0.25 * POOL_MARGIN
ACTIVE_SHARE = 0.12 * POOL_MARGIN
FALLBACK_RATE = 2000.0  # req/s assumed when no ceiling was measured
MIN_POOL = 200
PAY_POOL_FACTOR = 2  # holds ready for the pay step: twice what the hold step made in its window
MAX_ACTIVE_POOL = 100_000  # one seat per fan on one date: the API's largest seat number
BESIDE = "bare apps beside the steps"  # the part of the phase's timings they take


def pool_sizes(config: RushConfig, ceiling_per_second: float | None) -> tuple[int, int]:
    """Fresh fans for the join step, and admitted fans for seat map, hold and pay."""
    rate = ceiling_per_second or FALLBACK_RATE
    join = config.endpoint_join_fans or max(
        MIN_POOL, math.ceil(JOIN_SHARE * rate * config.endpoint_seconds)
    )
    active = config.endpoint_active_fans or max(
        MIN_POOL, math.ceil(ACTIVE_SHARE * rate * config.endpoint_seconds)
    )
    return join, min(active, MAX_ACTIVE_POOL)


@dataclass
class IsolatedRun:
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pools: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # untimed parts, in seconds
    prep: Recorder = field(default_factory=lambda: Recorder(perf_counter()))
    seconds: float = 0.0  # the whole phase, preparation and settling included


Say = Callable[[str], None]


def _split(fans: Sequence[PhaseFan], count: int, job: Callable[[PhaseFan], Job]) -> list[list[Job]]:
    """Each fan's request, on the URL it was provisioned through."""
    jobs: list[list[Job]] = [[] for _ in range(count)]
    for fan in fans:
        jobs[fan.index % count].append(job(fan))
    return jobs


class _Phase:
    def __init__(
        self,
        clients: Sequence[HttpClient],
        config: RushConfig,
        ceiling: float | None,
        say: Say,
        bench: BareBench | None,
    ) -> None:
        self.clients = clients
        self.config = config
        self.ceiling = ceiling
        self.bench = bench
        self._say = say
        self.run = IsolatedRun()
        self.prep = Preparer(clients, config, self.run.prep)
        self._part: tuple[str, float] | None = None
        self._last_reference: BareFigure | None = None
        self._batches_unread = False

    def part(self, label: str, detail: str = "") -> None:
        """A new part of the phase begins: the last one's time is added to the timings."""
        now = perf_counter()
        if self._part is not None:
            name, since = self._part
            self.run.timings[name] = round(self.run.timings.get(name, 0.0) + now - since, 1)
        self._part = (label, now) if label else None
        if label:
            self._say(detail or label)

    async def step(
        self,
        endpoint: str,
        fans: Sequence[PhaseFan],
        job: Callable[[PhaseFan], Job],
        *,
        once: bool,
        keep_replies: bool = False,
    ) -> WindowResult:
        config = self.config
        before = await self._reference(endpoint, "before")
        self.part(
            f"{endpoint} (warm-up + window)",
            f"{endpoint} alone, {config.endpoint_seconds:g} s, {len(fans):,} fans",
        )
        jobs = _split(fans, len(self.clients), job)
        sources = [OneShot(j) if once else RoundRobin(j) for j in jobs]
        batches_before = await read_totals(self.clients)
        result = await run_window(
            self.clients,
            config.connections,
            config.endpoint_seconds,
            sources,
            keep_replies=keep_replies,
            decode=keep_replies,
        )
        batches_after = await read_totals(self.clients)
        after = await self._reference(endpoint, "after")
        row = isolated_row(
            endpoint,
            result.recorder,
            seconds=result.seconds,
            fans=len(fans),
            ceiling_per_second=self.ceiling,
            exhausted_at=result.exhausted_at,
            client_cpu_seconds=result.client_cpu_seconds,
            cpu=result.cpu,
        )
        self._batches(endpoint, row, batches_before, batches_after)
        if before is not None and after is not None:
            row["beside"] = beside_figures(before, after)
            if row["beside"] is None:
                why = before.note or after.note
                self.run.notes.append(
                    f"{endpoint}: its bare app was not measured beside its step ({why}); "
                    "it is rated against the ceiling's."
                )
        self.run.rows.append(row)
        if result.exhausted:
            self.run.notes.append(
                f"{endpoint}: all {len(fans):,} prepared requests were sent "
                f"{result.exhausted_at or 0:.1f} s into the {config.endpoint_seconds:g} s window; "
                "its rate is over that shorter span."
            )
        return result

    def _batches(
        self, endpoint: str, row: dict[str, Any], before: Totals | int, after: Totals | int
    ) -> None:
        """The step's calls a batch by statement (its row's `calls_a_batch`), or a note, once,
        that the servers did not give them."""
        if isinstance(before, dict) and isinstance(after, dict):
            row["calls_a_batch"] = calls_a_batch(before, after)
        elif not self._batches_unread:
            self._batches_unread = True
            status = before if isinstance(before, int) else after
            self.run.notes.append(
                f"{endpoint}: the servers' {METRICS_PATH} answered {status or 'nothing'}: "
                "calls a batch not read, for this step or the ones after it."
            )

    async def _reference(self, endpoint: str, when: str) -> BareFigure | None:
        """The step's reference bare app measured now, if the ceiling's bench is at hand. The
        measurement right after a step is also the next one's right before it when that step
        has the same reference and nothing ran in between (join, then status polls)."""
        reference = REFERENCES.get(endpoint)
        if self.bench is None or reference is None:
            return None
        last = self._last_reference
        straight_after = self._part is not None and self._part[0] == BESIDE
        if when == "before" and straight_after and last is not None and last.app is reference.app:
            return last
        self.part(BESIDE, f"bare app, {reference.app}, {when} {endpoint}")
        self._last_reference = await self.bench.measure(reference.app)
        return self._last_reference


async def run_isolated(
    clients: Sequence[HttpClient],
    config: RushConfig,
    run_id: str,
    ceiling_per_second: float | None,
    say: Say,
    bench: BareBench | None = None,
) -> IsolatedRun:
    """Every step in turn, each between two measurements of its reference bare app on `bench`
    (if given); leaves the room and the sale's policy as it found them."""
    started = perf_counter()
    phase = _Phase(clients, config, ceiling_per_second, say, bench)
    previous = [client.recorder for client in clients]
    for client in clients:
        client.recorder = phase.run.prep
    try:
        await _run_steps(phase, run_id)
    finally:
        phase.part("clean-up", "clean-up: holds cancelled, passes given back, policy restored")
        await phase.prep.clean_up()
        for client, earlier in zip(clients, previous, strict=True):
            client.recorder = earlier
    settle = phase.prep.settle_seconds()
    phase.part("settling", f"waiting {settle:.0f} s for the room's admission window to pass")
    await asyncio.sleep(settle)
    phase.part("")
    phase.run.seconds = perf_counter() - started
    return phase.run


async def _run_steps(phase: _Phase, run_id: str) -> None:
    config, clients, prep = phase.config, phase.clients, phase.prep
    join_count, active_count = pool_sizes(config, phase.ceiling)
    phase.run.pools = {"join": join_count, "active": active_count}
    phase.part("provisioning", f"provisioning a concert, {join_count:,} + {active_count:,} fans")
    title = f"Rush {run_id}: endpoints alone"
    ids = await create_concert(clients[0], config, run_id, [config.seats, active_count], title)
    concert_id, seat_map_date, hold_date = ids
    counts: Counter[str] = Counter()
    joiners = await provision_accounts(clients, config, f"{run_id}j", join_count, 0, counts)
    actives = await provision_accounts(
        clients, config, f"{run_id}a", active_count, config.price, counts
    )
    for what, provisioned in (("join", joiners), ("active", actives)):
        if provisioned.failures:
            phase.run.notes.append(f"{what} fans not provisioned: {dict(provisioned.failures)}")
    phase.part("admitting", f"admitting {len(actives.accounts):,} fans, then closing admission")
    active = await prep.admit(actives.accounts, concert_id)
    admitted_before = await prep.close_admission()
    fresh = prep.track(joiners.accounts)

    joined = await phase.step(
        endpoints.JOIN,
        fresh,
        lambda fan: Job(endpoints.JOIN, "POST", f"{API}/queue/tokens", fan.headers, None, fan.slot),
        once=True,
        keep_replies=True,
    )
    waiting = prep.record_passes(fresh, joined)
    await phase.step(
        endpoints.STATUS,
        waiting,
        lambda fan: Job(endpoints.STATUS, "GET", f"{API}/queue/status", fan.pass_headers()),
        once=False,
    )
    admitted = await prep.admitted_total() - admitted_before
    if admitted:
        phase.run.notes.append(f"{admitted:,} fans were admitted during the join and status steps")
    phase.part("leaving the line", f"{len(waiting):,} waiting fans leave the line")
    await prep.leave(waiting)
    await phase.step(
        endpoints.SEATS,
        active,
        lambda fan: Job(
            endpoints.SEATS, "GET", f"{API}/schedules/{seat_map_date}/seats", fan.pass_headers()
        ),
        once=False,
    )
    held = await phase.step(
        endpoints.HOLD,
        active,
        lambda fan: prep.hold_job(fan, hold_date),
        once=True,
        keep_replies=True,
    )
    holds = prep.record_holds(active, held)
    # Payments need holds; more than the hold step made only if paying is faster than holding.
    wanted = min(len(active), max(MIN_POOL, PAY_POOL_FACTOR * holds))
    phase.part("more holds to pay", f"holds for up to {wanted:,} fans to pay (untimed)")
    await prep.hold_more(active, hold_date, wanted)
    payers = [fan for fan in active if fan.reservation_id is not None]
    paid = await phase.step(endpoints.PAY, payers, prep.pay_job, once=True, keep_replies=True)
    prep.record_payments(payers, paid)
