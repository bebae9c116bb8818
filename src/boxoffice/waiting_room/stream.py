"""Server-sent events for a fan's pass: pushed when it changes, with heartbeats in between.

A process that is stopping (a rolling restart) ends each stream at once with a `reconnect` event
whose `retry` field tells an EventSource how long to wait before it connects again, through the
load balancer, to an instance that serves on: the fan's place is in the store, not here.

A stream past its pass's or its account's cap of open streams (`stream_slots`) ends with a
`replaced` event, whose `retry` asks a client that does not know the event to wait a minute.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from time import monotonic

import orjson

from boxoffice.platform.draining import Draining
from boxoffice.platform.errors import DomainError
from boxoffice.waiting_room.dependencies import QueueDeps
from boxoffice.waiting_room.domain import PassStatus
from boxoffice.waiting_room.passes import QueueStatus
from boxoffice.waiting_room.stream_slots import StreamSlot, StreamSlots

HEARTBEAT_SECONDS = 15.0
# Served for minutes by design: exempt from the request deadline (platform/deadline.py).
STREAM_PATH = "/api/v1/queue/stream"
# How long a stream ended by a stopping process tells its client to wait before connecting
# again, drawn per stream: the fans of an instance that stops come back to the others spread
# over a few seconds, not all in the same instant. Half a second at least: by then the server
# has closed its socket (uvicorn looks every 0.1 s), so the new connection goes elsewhere.
RECONNECT_MS = (500, 3000)
RECONNECT_DETAIL = "This server is restarting. Connect again: your place in line is kept."
REPLACED_RETRY_MS = 60_000
REPLACED_DETAIL = (
    "This pass was opened in another window, which gets the live updates now. Your place in "
    "line is kept; check it here with GET /queue/status."
)


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


def _replaced_event() -> bytes:
    data = orjson.dumps({"detail": REPLACED_DETAIL, "retry_ms": REPLACED_RETRY_MS}).decode()
    return f"retry: {REPLACED_RETRY_MS}\n".encode() + _event("replaced", data)


def _reconnect_event() -> bytes:
    wait_ms = random.randint(*RECONNECT_MS)  # noqa: S311 - a spread of load, not a secret
    data = orjson.dumps({"detail": RECONNECT_DETAIL, "retry_ms": wait_ms}).decode()
    return f"retry: {wait_ms}\n".encode() + _event("reconnect", data)


async def status_events(
    deps: QueueDeps,
    user_id: int,
    token: str,
    first: QueueStatus,
    disconnected: Callable[[], Awaitable[bool]],
    render: Callable[[QueueStatus], str],
    draining: Draining,
    slots: StreamSlots,
) -> AsyncIterator[bytes]:
    """Yield `status` events on every change, until the pass is ACTIVE, gone, or the client left
    (or the process stops: then a `reconnect` event ends the stream; or a newer stream of the
    pass or the account takes this one's place under its cap: then a `replaced` event does).

    Admission is pushed: the process's `AdmissionWatch` wakes the stream within
    `stream_interval_seconds` of it, whichever instance admitted the fan. The pass itself (its
    place in line, or its end) is read at the pace a polling fan is told, `poll_after_seconds`,
    and at least every heartbeat: so a line of thousands of open streams costs the store no
    more than the same fans polling, and no HTTP request at all.
    """
    claims = deps.signer.read_pass(token)
    assert claims is not None  # the first status was read with it
    # Taken here, in the generator, so that its `finally` frees it however the stream ends.
    slot = slots.open(user_id, claims.pass_id)
    try:
        async for event in _events(
            deps, user_id, token, first, disconnected, render, draining, slot
        ):
            yield event
    finally:
        slots.close(slot)


async def _events(
    deps: QueueDeps,
    user_id: int,
    token: str,
    first: QueueStatus,
    disconnected: Callable[[], Awaitable[bool]],
    render: Callable[[QueueStatus], str],
    draining: Draining,
    slot: StreamSlot,
) -> AsyncIterator[bytes]:
    room = deps.waiting_room
    interval = deps.settings.stream_interval_seconds
    yield _event("status", render(first))
    current = first
    last = (first.status, first.position)
    quiet = 0.0
    while current.status is PassStatus.WAITING:
        pause = min(max(interval, float(current.poll_after_seconds)), HEARTBEAT_SECONDS)
        started = monotonic()
        with contextlib.suppress(TimeoutError):
            async with draining.timeout(pause), slot.bound():
                await room.await_admission(user_id, token)
        if draining.started:
            yield _reconnect_event()
            return
        if slot.replaced:
            yield _replaced_event()
            return
        if await disconnected():
            return
        try:
            current = await room.status(user_id, token, deps.now_ts())
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
