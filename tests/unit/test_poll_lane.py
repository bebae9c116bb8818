"""The poll lane: status polls wait for a place, everything else goes straight through."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Receive, Scope, Send

from boxoffice.platform.lanes import STATUS_PATH, PollLaneMiddleware


class _SlowApp:
    """An ASGI app that counts the requests inside it at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        await self.release.wait()
        self.inside -= 1


def _request(path: str) -> Scope:
    return {"type": "http", "method": "GET", "path": path}


async def _nothing() -> dict[str, object]:
    return {}


async def _ignore(message: object) -> None:
    return None


async def _send_all(app: PollLaneMiddleware, inner: _SlowApp, paths: list[str]) -> None:
    tasks = [asyncio.create_task(app(_request(p), _nothing, _ignore)) for p in paths]
    await asyncio.sleep(0.01)
    inner.release.set()
    await asyncio.gather(*tasks)


async def test_no_more_polls_than_places_are_worked_on_at_once() -> None:
    inner = _SlowApp()
    app = PollLaneMiddleware(inner, poll_concurrency=3)

    await _send_all(app, inner, [STATUS_PATH] * 20)

    assert inner.most_inside == 3
    assert inner.inside == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/reservations", "/api/v1/queue/tokens", "/api/v1/queue/stream", "/healthz"]
)
async def test_other_requests_are_not_capped(path: str) -> None:
    inner = _SlowApp()
    app = PollLaneMiddleware(inner, poll_concurrency=3)

    await _send_all(app, inner, [path] * 20)

    assert inner.most_inside == 20


async def test_no_places_means_no_cap() -> None:
    inner = _SlowApp()
    app = PollLaneMiddleware(inner, poll_concurrency=0)

    await _send_all(app, inner, [STATUS_PATH] * 20)

    assert inner.most_inside == 20


async def test_a_poll_that_fails_gives_its_place_back() -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    app = PollLaneMiddleware(failing, poll_concurrency=1)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(app(_request(STATUS_PATH), _nothing, _ignore), timeout=1)
