"""The soak's HTTP client: every answer counted by endpoint and status, at a bounded rate.

aiohttp, as `boxoffice rush` uses (a tenth of httpx's CPU per request: the load generator shares
the two cores with the servers). One pool of keep-alive connections for requests, a small one
for event streams. A 429 is waited out as its Retry-After says (and counted); nothing else is
retried, so every 5xx the server sends is seen.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from yarl import URL

from boxoffice_rush.client import decode_answer

__all__ = ["API", "Reply", "Shop", "Traffic"]

API = "/api/v1"
TIMEOUT_SECONDS = 30
RATE_LIMITED_TRIES = 5


@dataclass(frozen=True, slots=True)
class Reply:
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    body: Any
    code: str  # the problem document's `code`, or the exception's name when status is 0
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""


@dataclass
class Minute:
    """One minute of traffic: answers by status class, and latencies by endpoint."""

    requests: int = 0
    server_errors: int = 0
    transport_errors: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def all_latencies(self) -> list[float]:
        return [latency for each in self.latencies.values() for latency in each]


class Traffic:
    """Every answer of the run: by endpoint and status, by minute, and the 5xx themselves."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.by_endpoint: dict[str, Counter[str]] = defaultdict(Counter)
        self.minutes: dict[int, Minute] = defaultdict(Minute)
        self.server_error_samples: list[str] = []
        self.requests = 0
        self.drain = Minute()  # after the load's time is up, while the fans in flight finish
        self._draining = False

    def begin(self) -> None:
        """The load starts now: minute 0 from here."""
        self.started = time.monotonic()

    def draining(self) -> None:
        """From now on, answers are the drain's, not the last minute's."""
        self._draining = True

    def record(self, endpoint: str, status: int, code: str, latency: float) -> None:
        self.requests += 1
        label = str(status) if status else f"no answer ({code})"
        if status >= 400 and code:
            label = f"{status} {code}"
        self.by_endpoint[endpoint][label] += 1
        minute = (
            self.drain
            if self._draining
            else self.minutes[int((time.monotonic() - self.started) // 60)]
        )
        minute.requests += 1
        minute.latencies[endpoint].append(latency)
        if status >= 500:
            minute.server_errors += 1
        elif status == 0:
            minute.transport_errors += 1

    def note_server_error(self, text: str) -> None:
        if len(self.server_error_samples) < 20:
            self.server_error_samples.append(text)


class RateBound:
    """At most `per_second` requests start per second, evenly spaced when demand is above it."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0

    async def take(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


class Shop:
    def __init__(self, base_url: str, connections: int, streams: int, per_second: float) -> None:
        self.base_url = base_url
        self.traffic = Traffic()
        self._bound = RateBound(per_second)
        self._session = _session(connections, aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))
        self._streams = _session(streams, aiohttp.ClientTimeout(total=None, sock_connect=10))
        self.stream_slots = asyncio.Semaphore(streams)

    async def open_connections(self, count: int) -> None:
        """Open `count` keep-alive connections now, one every 20 ms: the pool then stays at
        `count` (aiohttp reuses its idle connections in turn, so none idles out under load),
        and the servers' connection figures show their own, not the load generator's warming
        up. Spaced, not a burst, so that the workers sharing the listening socket each accept
        some. Each is held until all are open (a request would hand its connection back as
        soon as its answer is in, and the next would reuse it), then given back idle."""
        connector = self._session.connector
        assert connector is not None
        loop = asyncio.get_running_loop()
        held = []
        try:
            for _ in range(count):
                request = aiohttp.ClientRequest("GET", URL(f"{self.base_url}/healthz"), loop=loop)
                held.append(await connector.connect(request, [], self._session.timeout))
                await asyncio.sleep(0.02)
        finally:
            for connection in held:
                connection.release()

    async def close(self) -> None:
        await self._session.close()
        await self._streams.close()

    async def call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        form: dict[str, str] | None = None,
    ) -> Reply:
        """One request (a 429 waited out and sent again, a few times at most)."""
        body = orjson.dumps(json) if json is not None else None
        sent_headers = dict(headers or {})
        if body is not None:
            sent_headers["Content-Type"] = "application/json"
        for _ in range(RATE_LIMITED_TRIES):
            reply = await self._once(endpoint, method, path, sent_headers, body, form)
            if reply.status != 429:
                return reply
            await asyncio.sleep(_seconds(reply.headers.get("Retry-After"), 1.0))
        return reply

    async def _once(
        self,
        endpoint: str,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
        form: dict[str, str] | None,
    ) -> Reply:
        await self._bound.take()
        started = time.monotonic()
        url = f"{self.base_url}{path}"
        try:
            async with self._session.request(
                method, url, headers=headers, data=body if body is not None else form
            ) as response:
                raw = await response.read()
                status = response.status
                answer_headers = {k: v for k, v in response.headers.items()}
        except (aiohttp.ClientError, TimeoutError) as error:
            name = type(error).__name__
            self.traffic.record(endpoint, 0, name, time.monotonic() - started)
            return Reply(0, None, name)
        decoded, code = decode_answer(raw, status)
        self.traffic.record(endpoint, status, code, time.monotonic() - started)
        if status >= 500:
            self.traffic.note_server_error(f"{status} {method} {path}: {raw[:300]!r}")
        return Reply(status, decoded, code, answer_headers, raw)

    async def stream_until_active(self, headers: dict[str, str]) -> str:
        """Listen to GET /queue/stream until an event says ACTIVE: "ACTIVE", or why not."""
        await self._bound.take()
        started = time.monotonic()
        try:
            url = f"{self.base_url}{API}/queue/stream"
            async with self._streams.get(url, headers=headers) as response:
                status = response.status
                code = "" if status < 400 else decode_answer(await response.read(), status)[1]
                self.traffic.record("GET /queue/stream", status, code, time.monotonic() - started)
                if status != 200:
                    return f"status {status}"
                async for line in response.content:
                    if line.startswith(b"event: error"):
                        return "error event"
                    if line.startswith(b"data:") and b'"status":"ACTIVE"' in line:
                        return "ACTIVE"
        except (aiohttp.ClientError, TimeoutError) as error:
            name = type(error).__name__
            self.traffic.record("GET /queue/stream", 0, name, time.monotonic() - started)
            return name
        return "ended"


def _session(connections: int, timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, ttl_dns_cache=None),
        timeout=timeout,
        cookie_jar=aiohttp.DummyCookieJar(),
    )


def _seconds(value: str | None, default: float) -> float:
    try:
        return min(10.0, max(0.0, float(value))) if value is not None else default
    except ValueError:
        return default
