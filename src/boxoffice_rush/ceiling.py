"""The ceiling: a bare endpoint's throughput through the same client, on the same servers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter

from boxoffice_rush import endpoints, machine_cpu
from boxoffice_rush.client import RAMP_SECONDS, HttpClient
from boxoffice_rush.machine_cpu import client_cpu_seconds
from boxoffice_rush.stats import LatencySummary, Recorder, summarize

__all__ = ["Ceiling", "client_cpu_seconds", "measure_ceiling", "measure_rate", "warm_up"]

WARM_UP_SECONDS = 1.0


@dataclass(frozen=True)
class Ceiling:
    requests: int
    seconds: float
    per_second: float
    latency: LatencySummary
    errors: int
    client_cpu_seconds: float
    cpu: machine_cpu.CpuSpent | None = None  # the machine's, over the timed run


@dataclass(frozen=True)
class _Target:
    endpoint: str  # the name the recorder files its requests under
    path: str


_HEALTHZ = _Target(endpoints.HEALTHZ, "/healthz")


async def _hammer(
    clients: Sequence[HttpClient],
    connections: int,
    seconds: float,
    ramp: float = 0.0,
    target: _Target = _HEALTHZ,
) -> None:
    stop_at = perf_counter() + seconds

    async def loop(client: HttpClient, position: int) -> None:
        await asyncio.sleep(position * ramp)
        while perf_counter() < stop_at:
            await client.call(target.endpoint, "GET", target.path, retries=0)

    await asyncio.gather(
        *(loop(client, position) for client in clients for position in range(connections))
    )


async def warm_up(
    clients: Sequence[HttpClient], connections: int, target: _Target = _HEALTHZ
) -> None:
    """GET /healthz (or `target`) from `connections` loops per URL, started one by one,
    recorded nowhere.

    Opens every connection at a ramp (spread over the server's workers, see RAMP_SECONDS) so
    that the timed step after it starts at its steady state, as the ceiling does.
    """
    previous = [client.recorder for client in clients]
    scratch = Recorder(perf_counter())
    for client in clients:
        client.recorder = scratch
    try:
        warm = max(WARM_UP_SECONDS, connections * RAMP_SECONDS)
        await _hammer(clients, connections, warm, RAMP_SECONDS, target)
    finally:
        for client, earlier in zip(clients, previous, strict=True):
            client.recorder = earlier


async def measure_ceiling(
    clients: Sequence[HttpClient], connections: int, seconds: float
) -> Ceiling:
    """GET /healthz (no auth, no I/O) as fast as `connections` loops per URL can, for `seconds`.

    A short warm-up first opens the connections, so the figure is the steady state.
    """
    return await measure_rate(clients, connections, seconds, endpoints.HEALTHZ, "/healthz")


async def measure_rate(
    clients: Sequence[HttpClient], connections: int, seconds: float, endpoint: str, path: str
) -> Ceiling:
    """GET `path` as fast as `connections` loops per URL can, for `seconds`, after a warm-up;
    its requests are recorded as `endpoint`."""
    target = _Target(endpoint, path)
    previous = [client.recorder for client in clients]
    await warm_up(clients, connections, target)
    recorder = Recorder(perf_counter())
    for client in clients:
        client.recorder = recorder
    cpu_before = client_cpu_seconds()
    machine_before = machine_cpu.snapshot()
    started = perf_counter()
    await _hammer(clients, connections, seconds, target=target)
    elapsed = perf_counter() - started
    spent = machine_cpu.spent_between(machine_before, machine_cpu.snapshot())
    cpu = client_cpu_seconds() - cpu_before
    for client, earlier in zip(clients, previous, strict=True):
        client.recorder = earlier
    latencies = recorder.latencies[endpoint]
    return Ceiling(
        requests=len(latencies),
        seconds=elapsed,
        per_second=len(latencies) / elapsed if elapsed > 0 else 0.0,
        latency=summarize(latencies),
        errors=recorder.errors,
        client_cpu_seconds=cpu,
        cpu=spent,
    )
