"""The timed sale: fans in flight at most `concurrency` at once, bounded by `duration`."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from time import perf_counter

from boxoffice_rush import machine_cpu
from boxoffice_rush.ceiling import client_cpu_seconds
from boxoffice_rush.client import HttpClient
from boxoffice_rush.fan import FanAccount, FanOutcome, SaleContext, run_fan
from boxoffice_rush.sampler import RoomSample, sample_room
from boxoffice_rush.stats import Recorder

__all__ = ["SaleResult", "run_sale"]

TICK_SECONDS = 0.25
# After the deadline, fans are woken to leave the line; those still busy then are cancelled.
GRACE_SECONDS = 10.0

Tick = Callable[[int, int, int], None]  # fans done, tickets sold, errors


@dataclass
class SaleResult:
    seconds: float = 0.0  # from opening until the last fan finished (or was stopped)
    stopped_by_deadline: bool = False
    outcomes: Counter[str] = field(default_factory=Counter)
    crashes: Counter[str] = field(default_factory=Counter)
    samples: list[RoomSample] = field(default_factory=list)
    client_cpu_seconds: float = 0.0
    cpu: machine_cpu.CpuSpent | None = None  # the machine's, from the opening to the end


async def run_sale(
    clients: Sequence[HttpClient],
    accounts: Sequence[FanAccount],
    sale: SaleContext,
    recorder: Recorder,
    tick: Tick,
) -> SaleResult:
    """Let every fan through the sale; stops by itself at the deadline."""
    result = SaleResult()
    for client in clients:
        client.recorder = recorder
    queue = iter(accounts)

    async def worker() -> None:
        for account in queue:
            if sale.waker.woken:
                stopped = not sale.ledger.sold_out
                result.outcomes[FanOutcome.STOPPED if stopped else FanOutcome.NOT_STARTED] += 1
                continue
            client = clients[account.index % len(clients)]
            try:
                outcome = await run_fan(account, client, sale)
            except (KeyError, TypeError, ValueError) as error:
                # A malformed answer ends this fan, not the rush: counted and reported.
                result.crashes[f"{type(error).__name__}: {error}"[:120]] += 1
                outcome = FanOutcome.FAILED
            result.outcomes[outcome] += 1

    def report_tick() -> None:
        done = sum(result.outcomes.values())
        errors = recorder.errors + sum(result.crashes.values())
        tick(done, sale.ledger.tickets, errors)

    cpu_before = client_cpu_seconds()
    machine_before = machine_cpu.snapshot()
    # Its own connection: queued behind the fans' requests, samples would come late and few.
    room_client = HttpClient(clients[0].base_url, 1, recorder)
    sampler = asyncio.ensure_future(
        sample_room(room_client, sale.config.admin_key, sale.origin, result.samples)
    )
    workers = [
        asyncio.ensure_future(worker()) for _ in range(min(sale.config.concurrency, len(accounts)))
    ]
    all_done = asyncio.gather(*workers, return_exceptions=True)
    try:
        if not await _until(all_done, sale.origin + sale.config.duration, report_tick):
            result.stopped_by_deadline = True
            sale.waker.wake_all()
            await _until(all_done, perf_counter() + GRACE_SECONDS, report_tick)
    finally:
        for task in workers:
            task.cancel()
        sampler.cancel()
        await asyncio.gather(all_done, sampler, return_exceptions=True)
        await room_client.close()
    result.seconds = perf_counter() - sale.origin
    result.client_cpu_seconds = client_cpu_seconds() - cpu_before
    result.cpu = machine_cpu.spent_between(machine_before, machine_cpu.snapshot())
    stopped = len(accounts) - sum(result.outcomes.values())
    if stopped > 0:
        result.outcomes[FanOutcome.STOPPED] += stopped
    report_tick()
    return result


async def _until(
    done: asyncio.Future[list[BaseException | None]], until: float, tick: Callable[[], None]
) -> bool:
    """Wait for `done` until the clock reads `until`, ticking; whether it finished."""
    while not done.done():
        left = until - perf_counter()
        if left <= 0:
            return False
        await asyncio.wait([done], timeout=min(TICK_SECONDS, left))
        tick()
    return True
