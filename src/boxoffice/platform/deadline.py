"""Every request answers within a deadline: past it, 503 + Retry-After, never a hang.

Each call to PostgreSQL or Redis is bounded on its own (platform/database.py, platform/redis.py),
but a request may make several, and may queue for a pooled connection or a poll lane first: a
slow dependency (300 ms a round trip, say) would add them up. This bounds the whole request.

Work cut off at the deadline is cancelled where it stands. The database keeps it whole or not
at all: a transaction cancelled before its commit is rolled back; one whose commit was already
sent may have happened, which is why the answer tells the client to retry with the same
Idempotency-Key (a money-moving retry then replays the first result, see platform/idempotency).
Event streams are exempt: they live for minutes by design and bound their own reads.
"""

from __future__ import annotations

import asyncio

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice.platform.metrics import DEPENDENCY_FAULTS
from boxoffice.platform.problems import problem_response

__all__ = ["DeadlineMiddleware"]

_log = structlog.get_logger(__name__)
_DEADLINE_HITS = DEPENDENCY_FAULTS.labels("any", "deadline")


class DeadlineMiddleware:
    """Answers 503 SERVICE_UNAVAILABLE for a request not answered within `seconds`."""

    def __init__(self, app: ASGIApp, seconds: float, exempt_paths: frozenset[str]) -> None:
        self.app = app
        self._seconds = seconds
        self._exempt = exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._exempt:
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(self._seconds) as deadline:
                await self.app(scope, receive, send_and_note)
        except TimeoutError:
            # Only our own deadline is answered here; a timeout from inside is the app's.
            if not deadline.expired() or started:
                raise
            _DEADLINE_HITS.inc()
            _log.warning("deadline_exceeded", path=scope["path"], seconds=self._seconds)
            response = problem_response(
                503,
                "SERVICE_UNAVAILABLE",
                "Service unavailable",
                "The service could not answer in time. Retry shortly; a payment or a charge "
                "retried with the same Idempotency-Key moves money at most once.",
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
