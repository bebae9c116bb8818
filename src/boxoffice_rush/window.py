"""One endpoint alone for a few seconds, driven like the ceiling: `connections` loops per URL.

Each loop takes the next request from its URL's source and sends it as soon as the previous one
is answered, until the window closes or the source runs dry (a pool of one-shot requests, such
as fresh fans joining once, can be used up before the window ends; the window then ends early
and says so). Also here: `for_each`, the untimed preparation between windows, at the same width.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import TypeVar

from boxoffice_rush import machine_cpu
from boxoffice_rush.ceiling import client_cpu_seconds, warm_up
from boxoffice_rush.client import HttpClient, Reply
from boxoffice_rush.stats import Recorder

__all__ = ["Job", "OneShot", "RoundRobin", "WindowResult", "for_each", "run_window"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Job:
    """One request, built before the window so the loops only send it."""

    endpoint: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None
    item: int = 0  # which fan (or hold) of the step's pool it is for


class _Jobs:
    """Requests built before the window, taken in turn; `exhausted` once none is left."""

    repeat = False  # start over after the last one

    def __init__(self, jobs: Sequence[Job]) -> None:
        self._jobs = list(jobs)
        self._next = 0
        self.exhausted = False

    def __len__(self) -> int:
        return len(self._jobs)

    def take(self) -> Job | None:
        """The next request, or None when there is none (left)."""
        if self.repeat and self._jobs:
            self._next %= len(self._jobs)
        if self._next >= len(self._jobs):
            self.exhausted = True
            return None
        job = self._jobs[self._next]
        self._next += 1
        return job


class RoundRobin(_Jobs):
    """The same requests over and over, in turn (polls, seat maps): never runs dry."""

    repeat = True


class OneShot(_Jobs):
    """Each request once (a join, a hold, a payment)."""


Source = _Jobs


@dataclass
class WindowResult:
    recorder: Recorder
    seconds: float  # from the window's opening to its last answer
    client_cpu_seconds: float
    pool: int  # requests the sources held (for a round robin: distinct fans in turn)
    exhausted: bool = False  # a one-shot source ran dry before the window closed
    exhausted_at: float | None = None  # when, in seconds from the opening
    replies: list[tuple[Job, Reply]] = field(default_factory=list)
    cpu: machine_cpu.CpuSpent | None = None  # the machine's, over the window


async def run_window(
    clients: Sequence[HttpClient],
    connections: int,
    seconds: float,
    sources: Sequence[Source],
    *,
    keep_replies: bool = False,
    decode: bool = False,
) -> WindowResult:
    """Warm up as the ceiling does, then send the sources' requests for `seconds`.

    `sources[i]` feeds the loops of `clients[i]`. Requests are sent without retries: a 429 or
    503 counts as an answer like any other. `keep_replies` keeps each (job, reply) pair for the
    steps that need what was answered (a join's pass, a hold's reservation).
    """
    await warm_up(clients, connections)
    recorder = Recorder(perf_counter())
    previous = [client.recorder for client in clients]
    for client in clients:
        client.recorder = recorder
    result = WindowResult(recorder, 0.0, 0.0, sum(len(source) for source in sources))
    cpu_before = client_cpu_seconds()
    machine_before = machine_cpu.snapshot()
    started = perf_counter()
    stop_at = started + seconds

    async def loop(client: HttpClient, source: Source) -> None:
        while perf_counter() < stop_at:
            job = source.take()
            if job is None:
                if result.exhausted_at is None:
                    result.exhausted_at = perf_counter() - started
                return
            reply = await client.call(
                job.endpoint,
                job.method,
                job.path,
                headers=job.headers,
                body=job.body,
                retries=0,
                decode=decode,
            )
            if keep_replies:
                result.replies.append((job, reply))

    try:
        await asyncio.gather(
            *(
                loop(client, source)
                for client, source in zip(clients, sources, strict=True)
                for _ in range(connections)
            )
        )
    finally:
        for client, earlier in zip(clients, previous, strict=True):
            client.recorder = earlier
    result.seconds = perf_counter() - started
    result.cpu = machine_cpu.spent_between(machine_before, machine_cpu.snapshot())
    result.client_cpu_seconds = client_cpu_seconds() - cpu_before
    result.exhausted = any(isinstance(s, OneShot) and s.exhausted for s in sources)
    return result


async def for_each(
    clients: Sequence[HttpClient],
    connections: int,
    items: Sequence[T],
    client_of: Callable[[T], int],
    work: Callable[[HttpClient, T], Awaitable[None]],
) -> None:
    """`work(client, item)` for every item, `connections` at a time per URL; untimed setup."""
    queue = iter(items)
    width = min(len(items), connections * len(clients))

    async def worker() -> None:
        for item in queue:
            await work(clients[client_of(item) % len(clients)], item)

    await asyncio.gather(*(worker() for _ in range(width)))
