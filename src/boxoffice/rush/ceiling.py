"""The ceiling: a bare endpoint's throughput through the same client, on the same servers."""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter

from boxoffice.rush import endpoints
from boxoffice.rush.client import RAMP_SECONDS, HttpClient
from boxoffice.rush.stats import LatencySummary, Recorder, summarize

__all__ = ["Ceiling", "client_cpu_seconds", "measure_ceiling", "warm_up"]

WARM_UP_SECONDS = 1.0


def client_cpu_seconds() -> float:
    """CPU time (user + system) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Ceiling:
    requests: int
    seconds: float
    per_second: float
    latency: LatencySummary
    errors: int
    client_cpu_seconds: float


async def _hammer(
    clients: Sequence[HttpClient], connections: int, seconds: float, ramp: float = 0.0
) -> None:
    stop_at = perf_counter() + seconds

    async def loop(client: HttpClient, position: int) -> None:
        await asyncio.sleep(position * ramp)
        while perf_counter() < stop_at:
            await client.call(endpoints.HEALTHZ, "GET", "/healthz", retries=0)

    await asyncio.gather(
        *(loop(client, position) for client in clients for position in range(connections))
    )


async def warm_up(clients: Sequence[HttpClient], connections: int) -> None:
    """GET /healthz from `connections` loops per URL, started one by one, recorded nowhere.

    Opens every connection at a ramp (spread over the server's workers, see RAMP_SECONDS) so
    that the timed step after it starts at its steady state, as the ceiling does.
    """
    previous = [client.recorder for client in clients]
    scratch = Recorder(perf_counter())
    for client in clients:
        client.recorder = scratch
    try:
        await _hammer(
            clients, connections, max(WARM_UP_SECONDS, connections * RAMP_SECONDS), RAMP_SECONDS
        )
    finally:
        for client, earlier in zip(clients, previous, strict=True):
            client.recorder = earlier


async def measure_ceiling(
    clients: Sequence[HttpClient], connections: int, seconds: float
) -> Ceiling:
    """GET /healthz (no auth, no I/O) as fast as `connections` loops per URL can, for `seconds`.

    A short warm-up first opens the connections, so the figure is the steady state.
    """
    previous = [client.recorder for client in clients]
    await warm_up(clients, connections)
    recorder = Recorder(perf_counter())
    for client in clients:
        client.recorder = recorder
    cpu_before = client_cpu_seconds()
    started = perf_counter()
    await _hammer(clients, connections, seconds)
    elapsed = perf_counter() - started
    cpu = client_cpu_seconds() - cpu_before
    for client, earlier in zip(clients, previous, strict=True):
        client.recorder = earlier
    latencies = recorder.latencies[endpoints.HEALTHZ]
    return Ceiling(
        requests=len(latencies),
        seconds=elapsed,
        per_second=len(latencies) / elapsed if elapsed > 0 else 0.0,
        latency=summarize(latencies),
        errors=recorder.errors,
        client_cpu_seconds=cpu,
    )
