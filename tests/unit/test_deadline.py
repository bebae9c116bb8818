"""The request deadline: what it cuts off, and what it must leave alone."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from boxoffice.platform.deadline import DeadlineMiddleware

DEADLINE = 0.2
SLOW = 5.0


async def _slow_app(scope: Scope, receive: Receive, send: Send) -> None:
    await asyncio.sleep(SLOW)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"late"})


async def _streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Starts its answer at once and ends it after the deadline, as an event stream does."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"first ", "more_body": True})
    await asyncio.sleep(DEADLINE * 2)
    await send({"type": "http.response.body", "body": b"second"})


async def _inner_timeout_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise TimeoutError("a timeout of the app's own, not the deadline's")


CLEANUP = 2.0
cleaned_up = asyncio.Event()


async def _slow_to_clean_up_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Cancelled, it cleans up at length before it stops, as SQLAlchemy does when it gives up
    on a PostgreSQL connection: a graceful close, shielded, up to 2 s on a dead link."""
    try:
        await asyncio.sleep(SLOW)
    finally:
        await asyncio.shield(asyncio.sleep(CLEANUP))
        cleaned_up.set()


async def _answers_when_cancelled_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Cancelled, it still tries to answer (an error page on the way out)."""
    try:
        await asyncio.sleep(SLOW)
    finally:
        await send({"type": "http.response.start", "status": 500, "headers": []})
        await send({"type": "http.response.body", "body": b"too late"})


def _scope(path: str) -> Scope:
    return {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}


def _client(app: DeadlineMiddleware) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_a_request_past_the_deadline_is_answered_503_at_the_deadline() -> None:
    app = DeadlineMiddleware(_slow_app, DEADLINE, frozenset())
    async with _client(app) as client:
        started = asyncio.get_running_loop().time()
        response = await client.get("/slow")
        elapsed = asyncio.get_running_loop().time() - started

    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["retry-after"] == "1"
    assert elapsed < SLOW


async def test_the_503_goes_out_at_the_deadline_while_the_cut_off_work_cleans_up() -> None:
    """The answer is whole at the deadline (a server sends it on, and may take the connection's
    next request); the app's call ends once the cut-off work has cleaned up, quietly."""
    cleaned_up.clear()
    app = DeadlineMiddleware(_slow_to_clean_up_app, DEADLINE, frozenset())
    loop = asyncio.get_running_loop()
    sent: list[tuple[float, Message]] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append((loop.time(), message))

    started = loop.time()
    call = asyncio.create_task(app(_scope("/slow-to-clean-up"), receive, send))
    await asyncio.sleep(DEADLINE + CLEANUP / 2)
    start, body = (message for _, message in sent)
    assert (start["status"], dict(start["headers"])[b"retry-after"]) == (503, b"1")
    assert not body.get("more_body", False)
    assert sent[-1][0] - started < DEADLINE + CLEANUP / 4
    # The work still cleans up, and then the call ends without an error.
    assert not call.done()
    assert not cleaned_up.is_set()
    await asyncio.wait_for(call, CLEANUP * 5)
    assert cleaned_up.is_set()


async def test_what_the_cut_off_work_sends_on_its_way_out_goes_nowhere() -> None:
    app = DeadlineMiddleware(_answers_when_cancelled_app, DEADLINE, frozenset())
    async with _client(app) as client:
        response = await client.get("/answers-when-cancelled")

    assert response.status_code == 503
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"


async def test_an_exempt_path_runs_past_the_deadline() -> None:
    app = DeadlineMiddleware(_streaming_app, DEADLINE, frozenset({"/stream"}))
    async with _client(app) as client:
        response = await client.get("/stream")

    assert (response.status_code, response.text) == (200, "first second")


async def test_an_answer_already_begun_is_not_replaced_by_a_problem() -> None:
    app = DeadlineMiddleware(_streaming_app, DEADLINE, frozenset())
    async with _client(app) as client:
        with pytest.raises(TimeoutError):
            await client.get("/not-exempt")


async def test_a_timeout_raised_inside_the_app_is_the_app_s_to_map() -> None:
    app = DeadlineMiddleware(_inner_timeout_app, DEADLINE, frozenset())
    async with _client(app) as client:
        with pytest.raises(TimeoutError, match="of the app's own"):
            await client.get("/inner")
