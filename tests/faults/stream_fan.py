"""StreamFan: a fan following their pass on the event stream, as a browser's EventSource does.

Each connection's answer, events and end are recorded: the instance that served it (nginx's
`X-Upstream`, see nginx.py), when it opened and closed, and how it ended: with a `reconnect`
event (the instance is stopping; its `retry:` field says how long to wait), with the ACTIVE
status (the stream's natural end), or otherwise (`unannounced`, or a transport error). Like
EventSource it connects again after a clean end, waiting the last `retry` it was told.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.faults.shop_client import API

__all__ = ["SseEvent", "StreamConnection", "StreamFan"]

DEFAULT_RETRY_MS = 3000  # what a browser waits when the server never said
AFTER_FAILURE_SECONDS = 1.0


@dataclass(frozen=True)
class SseEvent:
    name: str
    data: Any
    retry_ms: int | None


@dataclass
class StreamConnection:
    opened_at: float  # time.monotonic()
    status: int = 0
    instance: str = ""  # host:port of the instance that served it
    events: list[SseEvent] = field(default_factory=list)
    closed_at: float | None = None
    ended: str = "open"  # reconnect | active | error_event | unannounced | <exception name>

    def open_at(self, moment: float) -> bool:
        """Was this connection open (answered, not yet ended) at `moment`?"""
        return self.opened_at <= moment and (self.closed_at is None or self.closed_at > moment)


async def _events(response: httpx.Response) -> AsyncIterator[SseEvent]:
    """The event stream's events (comments such as heartbeats are skipped)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line:
            if not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            continue
        if "event" in fields or "data" in fields:
            data = fields.get("data", "")
            yield SseEvent(
                fields.get("event", "message"),
                json.loads(data) if data else None,
                int(fields["retry"]) if "retry" in fields else None,
            )
        fields = {}


class StreamFan:
    """One fan (signed up, in line) following the pass through `base_url` until ACTIVE."""

    def __init__(self, base_url: str, access_token: str, pass_token: str) -> None:
        self.url = f"{base_url}{API}/queue/stream"
        # As a client that can send headers does (a browser sends a stream ticket instead).
        self.headers = {"Authorization": f"Bearer {access_token}", "X-Queue-Token": pass_token}
        self.connections: list[StreamConnection] = []
        self.active = asyncio.Event()
        self.first_status = asyncio.Event()
        self._retry_ms = DEFAULT_RETRY_MS

    @property
    def positions(self) -> list[int]:
        """The place in line of every WAITING status heard, in order."""
        return [
            event.data["position"]
            for connection in self.connections
            for event in connection.events
            if event.name == "status" and event.data["status"] == "WAITING"
        ]

    async def follow(self, client: httpx.AsyncClient, deadline: float) -> None:
        """Connect, listen, and connect again, until ACTIVE or `deadline` (time.monotonic())."""
        while not self.active.is_set() and time.monotonic() < deadline:
            connection = StreamConnection(time.monotonic())
            self.connections.append(connection)
            try:
                await self._listen(client, connection)
            except httpx.TransportError as error:
                connection.ended = type(error).__name__
            finally:
                connection.closed_at = time.monotonic()
            if connection.ended == "reconnect":
                await asyncio.sleep(self._retry_ms / 1000)
            elif connection.ended != "active":
                await asyncio.sleep(AFTER_FAILURE_SECONDS)

    async def _listen(self, client: httpx.AsyncClient, connection: StreamConnection) -> None:
        async with client.stream("GET", self.url, headers=self.headers) as response:
            connection.status = response.status_code
            connection.instance = response.headers.get("x-upstream", "").split(", ")[-1]
            if response.status_code != 200:
                connection.ended = f"http_{response.status_code}"
                return
            connection.ended = "unannounced"
            async for event in _events(response):
                connection.events.append(event)
                if event.retry_ms is not None:
                    self._retry_ms = event.retry_ms
                if event.name == "reconnect":
                    connection.ended = "reconnect"
                elif event.name == "error":
                    connection.ended = "error_event"
                elif event.name == "status":
                    self.first_status.set()
                    if event.data["status"] == "ACTIVE":
                        connection.ended = "active"
                        self.active.set()
