"""Every request answers within a deadline: past it, 503 + Retry-After, never a hang.

Each call to PostgreSQL or Redis is bounded on its own (platform/database.py, platform/redis.py),
but a request may make several, and may queue for a pooled connection or a poll lane first: a
slow dependency (300 ms a round trip, say) would add them up. This bounds the whole request.

Work cut off at the deadline is cancelled where it stands. The database keeps it whole or not
at all: a transaction cancelled before its commit is rolled back; one whose commit was already
sent may have happened, which is why the answer tells the client to retry with the same
Idempotency-Key (a money-moving retry then replays the first result, see platform/idempotency).
Event streams are exempt: they live for minutes by design and bound their own reads.

The 503 goes out at the deadline, not once the cancelled work has cleaned up: that cleanup may
itself wait on the dependency that made the request late (SQLAlchemy closes a PostgreSQL
connection it gives up on gracefully first, shielded from cancellation, for up to 2 s; on a
partitioned link it waits all of that). The cancelled work finishes in the background, and
whatever it still tries to send is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice.platform.metrics import DEPENDENCY_FAULTS
from boxoffice.platform.problems import SERVICE_UNAVAILABLE

__all__ = ["DeadlineMiddleware"]

_log = structlog.get_logger(__name__)
_DEADLINE_HITS = DEPENDENCY_FAULTS.labels("any", "deadline")
# Cancelled work still cleaning up, kept referenced until it is done (asyncio holds tasks weakly).
_CLEANING_UP: set[asyncio.Future[None]] = set()


def _finish_in_background(work: asyncio.Future[None]) -> None:
    _CLEANING_UP.add(work)
    work.add_done_callback(_cleaned_up)


def _cleaned_up(work: asyncio.Future[None]) -> None:
    _CLEANING_UP.discard(work)
    if not work.cancelled() and work.exception() is not None:
        _log.warning("cut_off_work_failed", error=repr(work.exception()))


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
        started = cut_off = False

        async def send_and_note(message: Message) -> None:
            nonlocal started
            if cut_off:
                return  # the deadline's 503 is the answer
            started = started or message["type"] == "http.response.start"
            await send(message)

        work = asyncio.ensure_future(self.app(scope, receive, send_and_note))
        try:
            await asyncio.wait({work}, timeout=self._seconds)
        except asyncio.CancelledError:
            work.cancel()  # the server gave up on the request (the client went away)
            raise
        if work.done():
            # The app's own answer, or its own exception (a timeout of its own included).
            work.result()
            return
        work.cancel()
        if started:
            # An answer already begun cannot be replaced by a problem: it ends here.
            with contextlib.suppress(asyncio.CancelledError):
                await work
            raise TimeoutError(f"no answer within {self._seconds} s; one had begun")
        cut_off = True
        _finish_in_background(work)
        _DEADLINE_HITS.inc()
        _log.warning("deadline_exceeded", path=scope["path"], seconds=self._seconds)
        response = SERVICE_UNAVAILABLE.answer(
            "The service could not answer in time. Retry shortly; a payment or a charge "
            "retried with the same Idempotency-Key moves money at most once.",
            headers={"Retry-After": "1"},
        )
        await response(scope, receive, send)
