"""Server-sent events for a fan's pass: pushed when it changes, with heartbeats in between."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from time import monotonic

import orjson

from boxoffice.bootstrap import Container
from boxoffice.platform.errors import DomainError
from boxoffice.waiting_room.domain import PassStatus
from boxoffice.waiting_room.service import QueueStatus

HEARTBEAT_SECONDS = 15.0
# Served for minutes by design: exempt from the request deadline (platform/deadline.py).
STREAM_PATH = "/api/v1/queue/stream"


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


async def status_events(
    container: Container,
    user_id: int,
    token: str,
    first: QueueStatus,
    disconnected: Callable[[], Awaitable[bool]],
    render: Callable[[QueueStatus], str],
) -> AsyncIterator[bytes]:
    """Yield `status` events on every change, until the pass is ACTIVE, gone, or the client left.

    Admission is pushed: the process's `AdmissionWatch` wakes the stream within
    `stream_interval_seconds` of it, whichever instance admitted the fan. The pass itself (its
    place in line, or its end) is read at the pace a polling fan is told, `poll_after_seconds`,
    and at least every heartbeat: so a line of thousands of open streams costs the store no
    more than the same fans polling, and no HTTP request at all.
    """
    room = container.waiting_room
    interval = container.settings.stream_interval_seconds
    yield _event("status", render(first))
    current = first
    last = (first.status, first.position)
    quiet = 0.0
    while current.status is PassStatus.WAITING:
        pause = min(max(interval, float(current.poll_after_seconds)), HEARTBEAT_SECONDS)
        started = monotonic()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(pause):
                await room.await_admission(user_id, token)
        if await disconnected():
            return
        try:
            current = await room.status(user_id, token, container.now_ts())
        except DomainError as error:
            problem = {"code": error.code, "status": error.status, "detail": error.detail}
            yield _event("error", orjson.dumps(problem).decode())
            return
        if (current.status, current.position) != last:
            last = (current.status, current.position)
            quiet = 0.0
            yield _event("status", render(current))
        else:
            quiet += monotonic() - started
            if quiet >= HEARTBEAT_SECONDS:
                quiet = 0.0
                yield b": heartbeat\n\n"
