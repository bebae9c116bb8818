"""ShopClient: the fans' HTTP client, as a careful real client behaves when instances fail.

Requests go to the instances round-robin. A 503, another 5xx, or a transport error (refused,
reset, timed out) is retried, the SAME request (same headers, so the same Idempotency-Key), on
the NEXT instance, after the server's Retry-After or a short backoff; retries are bounded and
stop at the sale's deadline, so a test always ends. Every attempt lands in the SaleReport.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.faults.sale_report import SaleReport

__all__ = ["API", "Answer", "ShopClient", "Watcher"]

API = "/api/v1"
RETRY_AFTER_CAP = 5.0
# Called with the request kind and each response an attempt got (its request and `elapsed` on it).
Watcher = Callable[[str, httpx.Response], None]


@dataclass(frozen=True)
class Answer:
    """The final response (None: the client gave up) and whether an attempt may have reached a
    server whose answer was lost: then a non-idempotent request may have taken effect."""

    response: httpx.Response | None
    attempts: int
    ambiguous: bool

    @property
    def status(self) -> int | None:
        return None if self.response is None else self.response.status_code

    @property
    def code(self) -> str | None:
        """The problem document's `code`, if the answer is one."""
        if self.response is None or self.response.status_code < 400:
            return None
        try:
            return str(self.response.json().get("code"))
        except ValueError:
            return None


class ShopClient:
    def __init__(
        self,
        base_urls: list[str],
        report: SaleReport,
        *,
        timeout: float = 10.0,
        max_attempts: int = 8,
        deadline: float | None = None,
        max_in_flight: int = 64,
    ) -> None:
        self.base_urls = base_urls
        self.report = report
        self.max_attempts = max_attempts
        self.deadline = deadline  # time.monotonic() past which nothing is retried
        # One pool for every fan, unbounded: a client-side pool wait must never pass for a fault.
        self._client = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
        )
        self._turn = itertools.count()
        # As many requests at once as a few dozen browsers send: enough for every race, while
        # two loaded cores still answer each in well under the timeout when nothing is wrong.
        self._in_flight = asyncio.Semaphore(max_in_flight)
        # A scenario's own record of what fans were told, beyond the report's counts.
        self.watchers: list[Watcher] = []

    async def aclose(self) -> None:
        await self._client.aclose()

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    async def request(
        self, kind: str, method: str, path: str, *, instance: int | None = None, **kwargs: Any
    ) -> Answer:
        """Send `method path` (under /api/v1) until an answer that is not a failure; `instance`
        picks the first attempt's instance instead of the round-robin."""
        stats = self.report.kind(kind)
        stats.requests += 1
        index = next(self._turn) if instance is None else instance
        ambiguous = False
        attempt = 0
        while attempt < self.max_attempts and not self._past_deadline():
            attempt += 1
            base = self.base_urls[index % len(self.base_urls)]
            stats.attempts += 1
            try:
                async with self._in_flight:
                    # Timed from here: the wait for a place among those in flight is the
                    # client's own, not the servers'.
                    sent = time.monotonic()
                    sent_at = self.report.now()
                    response = await self._client.request(method, f"{base}{API}{path}", **kwargs)
            except httpx.TransportError as error:
                stats.failed(self.report.now(), type(error).__name__, sent_at)
                # A refused connection sent nothing; any later error may follow a delivery.
                ambiguous = ambiguous or not isinstance(error, httpx.ConnectError)
                pause = min(0.2 * attempt, 2.0)
            else:
                stats.slowest_seconds = max(stats.slowest_seconds, time.monotonic() - sent)
                for watch in self.watchers:
                    watch(kind, response)
                if response.status_code == 429:  # told to slow down, not a failure: same place
                    attempt -= 1
                    await asyncio.sleep(_retry_after(response, 1.0))
                    continue
                if response.status_code < 500:
                    return Answer(response, attempt, ambiguous)
                stats.failed(self.report.now(), str(response.status_code), sent_at)
                # Past a deadline the work may be done whole (design.md), so a 503 may too.
                ambiguous = True
                if response.status_code == 503 and "retry-after" not in response.headers:
                    stats.without_retry_after += 1
                if response.status_code != 503:
                    stats.server_errors.append(
                        f"{response.status_code} {method} {path} on {base}: {response.text[:300]}"
                    )
                pause = _retry_after(response, 0.5)
            index += 1
            await asyncio.sleep(pause)
        stats.gave_up += 1
        return Answer(None, attempt, ambiguous)


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return min(float(response.headers["retry-after"]), RETRY_AFTER_CAP)
    except (KeyError, ValueError):
        return default
