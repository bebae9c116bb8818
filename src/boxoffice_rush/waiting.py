"""A fan's wait in line: polling the status as told, or listening to the event stream."""

from __future__ import annotations

import asyncio
from enum import StrEnum
from time import perf_counter
from typing import Any

import aiohttp
import orjson

from boxoffice_rush import endpoints
from boxoffice_rush.client import HttpClient
from boxoffice_rush.waker import Waker

__all__ = ["StreamSwitch", "WaitResult", "poll_until_active", "stream_until_active"]

MIN_POLL_SECONDS = 0.25


class WaitResult(StrEnum):
    ACTIVE = "active"
    WOKEN = "woken"  # sold out or the rush stops: leave the line
    EXPIRED = "expired"  # the pass expired while waiting: join again
    FAILED = "failed"
    NO_STREAM = "no_stream"  # the server has no event stream: poll instead, every fan
    ENDED = "ended"  # this fan's stream ended before ACTIVE (an error event): this fan polls


class StreamSwitch:
    """Whether fans still try the event stream; the first 404 turns it off for everyone."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled


async def poll_until_active(
    client: HttpClient, headers: dict[str, str], status: dict[str, Any], waker: Waker
) -> WaitResult:
    """Poll GET /queue/status, sleeping `poll_after_seconds` between polls, until ACTIVE."""
    while status.get("status") != "ACTIVE":
        await waker.sleep(max(MIN_POLL_SECONDS, float(status.get("poll_after_seconds") or 1)))
        if waker.woken:
            return WaitResult.WOKEN
        reply = await client.call(
            endpoints.STATUS, "GET", f"{endpoints.API}/queue/status", headers=headers
        )
        if reply.status == 401 and reply.code == "QUEUE_TOKEN_EXPIRED":
            return WaitResult.EXPIRED
        if reply.status != 200 or not isinstance(reply.body, dict):
            return WaitResult.FAILED
        status = reply.body
    return WaitResult.ACTIVE


async def stream_until_active(
    client: HttpClient, headers: dict[str, str], waker: Waker
) -> WaitResult:
    """Listen to GET /queue/stream until an event says ACTIVE; cut short when woken."""
    task = asyncio.ensure_future(_read_stream(client, headers))
    waker.watch(task)
    try:
        return await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if waker.woken and current is not None and not current.cancelling():
            return WaitResult.WOKEN
        raise
    finally:
        waker.unwatch(task)


async def _read_stream(client: HttpClient, headers: dict[str, str]) -> WaitResult:
    url = f"{client.base_url}{endpoints.API}/queue/stream"
    started = perf_counter()
    try:
        async with client.stream_session().get(url, headers=headers) as response:
            # The stream's latency is the time to its headers: the wait itself is not latency.
            code = "" if response.status < 400 else _problem_code(await response.read())
            client.recorder.record(
                endpoints.STREAM, started, perf_counter() - started, response.status, code
            )
            if response.status == 404:
                return WaitResult.NO_STREAM
            if response.status != 200:
                return WaitResult.FAILED
            async for line in response.content:
                if _event_status(line) == "ACTIVE":
                    return WaitResult.ACTIVE
    except (aiohttp.ClientError, TimeoutError) as error:
        name = type(error).__name__
        client.recorder.record(endpoints.STREAM, started, perf_counter() - started, 0, name)
        return WaitResult.FAILED
    # The stream ended without admitting us (an error event, say): polling takes over.
    return WaitResult.ENDED


def _event_status(line: bytes) -> str | None:
    if not line.startswith(b"data:"):
        return None
    try:
        event = orjson.loads(line[5:].strip())
    except orjson.JSONDecodeError:
        return None
    return str(event.get("status")) if isinstance(event, dict) else None


def _problem_code(raw: bytes) -> str:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "NOT_JSON"
    return str(body.get("code", "")) if isinstance(body, dict) else ""
