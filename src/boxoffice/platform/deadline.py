"""Every request answers within a deadline: past it, 503 + Retry-After, never a hang.

Each call to PostgreSQL or Redis is bounded on its own (platform/database.py, platform/redis.py),
but a request may make several, and may queue for a pooled connection or a poll lane first: a
slow dependency (300 ms a round trip, say) would add them up. This bounds the whole request.

Work cut off at the deadline is cancelled where it stands. The database keeps it whole or not
at all: a transaction cancelled before its commit is rolled back; one whose commit was already
sent may have happened, which is why the answer tells the client to retry with the same
Idempotency-Key (a money-moving retry then replays the first result, see platform/idempotency).
A payment is not cancelled but finished in the background (`platform/cancellation.py`): what
follows its commit (its pass used up, the sale counted) must follow it whatever the answer was.
Event streams are exempt: they live for minutes by design and bound their own reads.

A request still waiting for its client's body at the deadline (sent slowly, or announced longer
than it is) is answered 408 REQUEST_TIMEOUT instead, and the connection closed: the client was
late, not a dependency, so nothing is counted as a dependency's fault and no retry is invited.

The 503 goes out at the deadline, not once the cancelled work has cleaned up: that cleanup may
itself wait on the dependency that made the request late (SQLAlchemy closes a PostgreSQL
connection it gives up on gracefully first, shielded from cancellation, for up to 2 s; on a
partitioned link it waits all of that). The cancelled work finishes after it, in the request's
own task, and whatever it still tries to send is dropped; the server may serve the connection's
next request meanwhile (its answer is complete).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice.platform.metrics import DEPENDENCY_FAULTS
from boxoffice.platform.problems import REQUEST_TIMEOUT, SERVICE_UNAVAILABLE

__all__ = ["DeadlineMiddleware"]

_log = structlog.get_logger(__name__)
_DEADLINE_HITS = DEPENDENCY_FAULTS.labels("any", "deadline")
# The deadlines' 503s on their way, kept referenced until sent (asyncio holds tasks weakly).
_ANSWERING: set[asyncio.Task[None]] = set()


class DeadlineMiddleware:
    """Answers 503 SERVICE_UNAVAILABLE for a request not answered within `seconds`.

    The request runs in its own task, as it came: a timer, not a second task, watches it (a
    task a request cost about 30 µs, most of what the middleware stack cost a request). At the
    deadline the timer cancels the request's task and, if no answer has begun, sends the 503 at
    once from a task of its own; the request's task cleans up as long as it needs, whatever it
    sends on its way out dropped, and then ends quietly.
    """

    def __init__(self, app: ASGIApp, seconds: float, exempt_paths: frozenset[str]) -> None:
        self.app = app
        self._seconds = seconds
        self._exempt = exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._exempt:
            await self.app(scope, receive, send)
            return
        watch = _Watch(
            receive, send, lambda late_client: self._answer(scope, receive, send, late_client)
        )
        timer = asyncio.get_running_loop().call_later(self._seconds, watch.deadline)
        try:
            await self.app(scope, watch.receive, watch.send)
        except asyncio.CancelledError:
            # The deadline's cancel, and no one else's (the server's, when the client went
            # away or on shutdown, goes on up).
            if not watch.took_its_cancel_back():
                raise
        else:
            if not watch.fired:
                return
            watch.took_its_cancel_back()  # the app caught the deadline's cancel itself
        finally:
            timer.cancel()
        if watch.answering is None:
            # An answer already begun cannot be replaced by a problem: it ends here.
            raise TimeoutError(f"no answer within {self._seconds} s; one had begun")
        await watch.answering

    async def _answer(self, scope: Scope, receive: Receive, send: Send, late_client: bool) -> None:
        if late_client:
            _log.info("body_not_received_in_time", path=scope["path"], seconds=self._seconds)
            late = REQUEST_TIMEOUT.answer(
                f"The request's body did not arrive within {self._seconds:g} s. Send it whole "
                "at once; nothing was done.",
                headers={"Connection": "close"},
            )
            await late(scope, receive, send)
            return
        _DEADLINE_HITS.inc()
        _log.warning("deadline_exceeded", path=scope["path"], seconds=self._seconds)
        response = SERVICE_UNAVAILABLE.answer(
            "The service could not answer in time. Retry shortly; a payment or a charge "
            "retried with the same Idempotency-Key moves money at most once.",
            headers={"Retry-After": "1"},
        )
        await response(scope, receive, send)


class _Watch:
    """One request under its deadline: whether its answer has begun, and the deadline's 503."""

    def __init__(
        self, receive: Receive, send: Send, answer: Callable[[bool], Coroutine[Any, Any, None]]
    ) -> None:
        self._receive = receive
        self._send = send
        self._answer = answer
        self._request = asyncio.current_task()
        self.started = self.fired = self._reading = self._body_whole = False
        self.answering: asyncio.Task[None] | None = None

    async def receive(self) -> Message:
        """The client's next message; while the request waits for the rest of its body, a
        deadline is the client's lateness (not once the body is whole: an answer that listens
        for the client to leave waits here too)."""
        if self._body_whole:
            return await self._receive()
        self._reading = True
        try:
            message = await self._receive()
        finally:
            self._reading = False
        self._body_whole = message["type"] != "http.request" or not message.get("more_body")
        return message

    async def send(self, message: Message) -> None:
        if self.answering is not None:
            return  # the deadline's 503 is the answer
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)

    def deadline(self) -> None:
        """Cancel the request; send the 503 (the 408, if it waits for its client) now, from a
        task of its own, if nothing was sent."""
        self.fired = True
        if not self.started:
            self.answering = asyncio.get_running_loop().create_task(self._answer(self._reading))
            _ANSWERING.add(self.answering)
            self.answering.add_done_callback(_ANSWERING.discard)
        assert self._request is not None
        self._request.cancel()

    def took_its_cancel_back(self) -> bool:
        """Whether the request's task was cancelled by the deadline alone (its cancel undone)."""
        assert self._request is not None
        return self.fired and self._request.uncancel() == 0
