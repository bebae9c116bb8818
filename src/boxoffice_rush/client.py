"""The client machinery every phase shares: one keep-alive aiohttp session per base URL.

aiohttp rather than httpx: on this 2-core machine, measured against GET /healthz with uvloop,
httpx.AsyncClient spent 0.8–2 ms of client CPU per request (worse as concurrency grew), aiohttp
0.1–0.15 ms. The load generator shares the cores with the servers, so every client microsecond
is taken from the server being measured.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Callable
from time import perf_counter
from typing import Any, NamedTuple

import aiohttp
import orjson

from boxoffice_rush.stats import Recorder

__all__ = ["FORM_HEADERS", "JSON_HEADERS", "RAMP_SECONDS", "HttpClient", "Reply", "SharedDecodes"]

JSON_HEADERS = {"Content-Type": "application/json"}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
RETRY_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER = 10.0
# Connections are opened one by one this far apart, not in a burst: several uvicorn workers
# share one listening socket, and a burst of connects is all accepted by whichever worker wakes
# first, which would then serve every keep-alive connection while the others sit idle.
RAMP_SECONDS = 0.02


class Reply(NamedTuple):
    status: int  # 0 when the request failed below HTTP (connection refused, timeout)
    body: Any
    code: str  # the problem document's `code`, or the exception's name when status is 0
    retry_after: float | None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(value)))
    except ValueError:
        return None


def decode_answer(raw: bytes, status: int) -> tuple[Any, str]:
    """An answer's JSON body (None if empty or not JSON) and its problem `code` ("" below 400)."""
    if not raw:
        return None, ""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, "NOT_JSON" if status >= 400 else ""
    code = body.get("code", "") if status >= 400 and isinstance(body, dict) else ""
    return body, str(code)


class SharedDecodes:
    """2xx bodies decoded once per entity tag, for every fan that reads the same bytes.

    A strong ETag names a body's exact bytes, so the fans who read one seat map while it is
    unchanged share one `digest` of it (what a body's bytes come to, None when they are not what
    it expects) instead of each spending about a millisecond of the load generator's CPU on
    300 KB, CPU that the servers under test share. The servers' work is unchanged: every fan
    still asks for the whole map and reads every byte of it.
    """

    def __init__(self, digest: Callable[[bytes], Any], size: int = 256) -> None:
        self._digest = digest
        self._size = size
        self._bodies: dict[str, Any] = {}

    def decode(self, etag: str | None, raw: bytes, gzipped: bool = False) -> Any:
        """`digest` of the body (None if it is not JSON); an untagged body is parsed each time.
        A gzipped body is inflated only when its tag is new."""
        if etag is None:
            return self._parse(raw, gzipped)
        found = self._bodies.get(etag)
        if found is None:
            found = self._parse(raw, gzipped)
            if len(self._bodies) >= self._size:
                del self._bodies[next(iter(self._bodies))]  # the oldest: maps change each second
            self._bodies[etag] = found
        return found

    def _parse(self, raw: bytes, gzipped: bool) -> Any:
        try:
            return self._digest(gzip.decompress(raw) if gzipped else raw)
        except (OSError, EOFError, zlib.error):  # not gzip
            return None


class _Pool:
    """Keep-alive connections and the slots that cap the requests in flight on them."""

    def __init__(self, connections: int) -> None:
        self.slots = asyncio.Semaphore(connections)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, ttl_dns_cache=None),
            timeout=aiohttp.ClientTimeout(total=30),
            cookie_jar=aiohttp.DummyCookieJar(),
        )


class HttpClient:
    """Requests to one base URL, each timed from when it has a connection to its last byte.

    At most `connections` requests are in flight; later ones wait for a slot before their clock
    starts, so latencies are the server's answer time, not the client's own queueing.

    With `shop_connections`, requests marked `shop` (fans who hold an active pass) have their own
    pool of that many connections: as each fan has its own browser, the thousands still in line
    cannot keep the admitted few from the shop by taking every connection of a shared pool.
    Without it, every request shares the one pool.
    """

    def __init__(
        self, base_url: str, connections: int, recorder: Recorder, shop_connections: int = 0
    ) -> None:
        self.base_url = base_url
        self.recorder = recorder
        self._pool = _Pool(connections)
        self._shop_connections = shop_connections
        self._shop_pool: _Pool | None = None
        self._stream_session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close every connection."""
        await self._pool.session.close()
        if self._shop_pool is not None:
            await self._shop_pool.session.close()
        if self._stream_session is not None:
            await self._stream_session.close()

    def _pool_for(self, shop: bool) -> tuple[_Pool, str]:
        if not shop or self._shop_connections < 1:
            return self._pool, "line"
        if self._shop_pool is None:
            self._shop_pool = _Pool(self._shop_connections)
        return self._shop_pool, "shop"

    async def call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        retries: int = 5,
        decode: bool | SharedDecodes = True,
        shop: bool = False,
    ) -> Reply:
        """One request; a 429 or 503 with Retry-After is waited out and retried `retries` times.

        With `decode` false a 2xx body is read but not parsed (its `body` is None): a phase that
        only counts answers spends no client CPU on them; with `SharedDecodes` a 2xx body is
        what it digests bodies to, parsed once per ETag. Error bodies are always parsed. `shop`
        sends it on the shop's connections, when the client has them.
        """
        pool, lane = self._pool_for(shop)
        for _ in range(retries):
            reply = await self._once(pool, lane, endpoint, method, path, headers, body, decode)
            if reply.status not in RETRY_STATUSES or reply.retry_after is None:
                return reply
            await asyncio.sleep(reply.retry_after)
        return await self._once(pool, lane, endpoint, method, path, headers, body, decode)

    async def _once(
        self,
        pool: _Pool,
        lane: str,
        endpoint: str,
        method: str,
        path: str,
        headers: dict[str, str] | None,
        body: bytes | None,
        decode: bool | SharedDecodes,
    ) -> Reply:
        queued = perf_counter()
        async with pool.slots:
            started = perf_counter()
            self.recorder.waited_for_slot(lane, started - queued)
            try:
                # The body is inflated here only if it is parsed here: a seat map is inflated
                # once per tag (SharedDecodes), an uncounted one not at all.
                async with pool.session.request(
                    method,
                    self.base_url + path,
                    headers=headers,
                    data=body,
                    auto_decompress=False,
                ) as response:
                    raw = await response.read()
                    status = response.status
                    retry_after = response.headers.get("Retry-After")
                    etag = response.headers.get("ETag")
                    gzipped = response.headers.get("Content-Encoding") == "gzip"
            except (aiohttp.ClientError, TimeoutError) as error:
                name = type(error).__name__
                self.recorder.record(endpoint, started, perf_counter() - started, 0, name)
                return Reply(0, None, name, None)
            latency = perf_counter() - started
        if isinstance(decode, SharedDecodes) and 200 <= status < 300:
            decoded, code = decode.decode(etag, raw, gzipped), ""
        elif decode or status >= 300:
            decoded, code = decode_answer(gzip.decompress(raw) if gzipped else raw, status)
        else:
            decoded, code = None, ""
        self.recorder.record(endpoint, started, latency, status, code)
        return Reply(status, decoded, code, _retry_after(retry_after))

    async def fetch_text(self, path: str) -> tuple[int, str]:
        """GET `path` outside the measurement (not recorded, no slot taken): its status and
        text, or 0 and "" when it failed below HTTP."""
        try:
            async with self._pool.session.get(self.base_url + path) as response:
                return response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError):
            return 0, ""

    def stream_session(self) -> aiohttp.ClientSession:
        """A session for long-lived event streams, apart from the pooled request connections."""
        if self._stream_session is None:
            self._stream_session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=None),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._stream_session


def json_body(value: dict[str, Any]) -> bytes:
    """A request body as JSON bytes."""
    return orjson.dumps(value)
