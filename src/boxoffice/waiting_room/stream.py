"""Server-sent events for a fan's pass: pushed when it changes, with heartbeats in between."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson

from boxoffice.bootstrap import Container
from boxoffice.platform.errors import DomainError
from boxoffice.waiting_room.domain import PassStatus
from boxoffice.waiting_room.service import QueueStatus

HEARTBEAT_SECONDS = 15.0


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

    The store is read every `stream_interval_seconds`, so a fan sees admission within that.
    """
    interval = container.settings.stream_interval_seconds
    yield _event("status", render(first))
    last = (first.status, first.position)
    quiet = 0.0
    while first.status is PassStatus.WAITING:
        await asyncio.sleep(interval)
        if await disconnected():
            return
        try:
            current = await container.waiting_room.status(user_id, token, container.now_ts())
        except DomainError as error:
            problem = {"code": error.code, "status": error.status, "detail": error.detail}
            yield _event("error", orjson.dumps(problem).decode())
            return
        if (current.status, current.position) != last:
            last = (current.status, current.position)
            quiet = 0.0
            yield _event("status", render(current))
            if current.status is PassStatus.ACTIVE:
                return
        else:
            quiet += interval
            if quiet >= HEARTBEAT_SECONDS:
                quiet = 0.0
                yield b": heartbeat\n\n"
