"""The poll lane: status polls wait for a place (fewer while the shop is busy), everything else
goes straight through."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Receive, Scope, Send

from boxoffice.platform.lanes import STATUS_PATH, PollLaneMiddleware

HOLD = "/api/v1/reservations"


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
    app = PollLaneMiddleware(inner, poll_concurrency=3, poll_concurrency_shop_busy=3)

    await _send_all(app, inner, [STATUS_PATH] * 20)

    assert inner.most_inside == 3
    assert inner.inside == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/reservations", "/api/v1/queue/tokens", "/api/v1/queue/stream", "/healthz"]
)
async def test_other_requests_are_not_capped(path: str) -> None:
    inner = _SlowApp()
    app = PollLaneMiddleware(inner, poll_concurrency=3, poll_concurrency_shop_busy=3)

    await _send_all(app, inner, [path] * 20)

    assert inner.most_inside == 20


async def test_no_places_means_no_cap() -> None:
    inner = _SlowApp()
    app = PollLaneMiddleware(inner, poll_concurrency=0, poll_concurrency_shop_busy=1)

    await _send_all(app, inner, [STATUS_PATH] * 20)

    assert inner.most_inside == 20


async def test_a_poll_that_fails_gives_its_place_back() -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    app = PollLaneMiddleware(failing, poll_concurrency=1, poll_concurrency_shop_busy=1)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(app(_request(STATUS_PATH), _nothing, _ignore), timeout=1)


class _GatedApp:
    """An ASGI app whose requests each wait for their own gate; it notes which are inside."""

    def __init__(self) -> None:
        self.gates: dict[str, asyncio.Event] = {}
        self.inside: list[str] = []
        self.entered: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["name"]
        self.inside.append(name)
        self.entered.append(name)
        await self.gates.setdefault(name, asyncio.Event()).wait()
        self.inside.remove(name)

    def open(self, name: str) -> None:
        self.gates.setdefault(name, asyncio.Event()).set()


def _named(path: str, name: str) -> Scope:
    return {**_request(path), "name": name}


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_while_the_shop_is_busy_fewer_polls_are_worked_on() -> None:
    inner = _GatedApp()
    app = PollLaneMiddleware(inner, poll_concurrency=3, poll_concurrency_shop_busy=1)
    hold = asyncio.create_task(app(_named(HOLD, "hold"), _nothing, _ignore))
    await _settle()
    polls = [
        asyncio.create_task(app(_named(STATUS_PATH, f"poll-{n}"), _nothing, _ignore))
        for n in range(5)
    ]
    await _settle()
    assert sorted(inner.inside) == ["hold", "poll-0"]

    inner.open("poll-0")  # its place goes to the poll waiting longest, still one at a time
    await _settle()
    assert sorted(inner.inside) == ["hold", "poll-1"]

    inner.open("hold")  # the shop is quiet: three places
    await _settle()
    assert sorted(inner.inside) == ["poll-1", "poll-2", "poll-3"]
    for n in range(5):
        inner.open(f"poll-{n}")
    await asyncio.gather(hold, *polls)
    assert inner.entered == ["hold", "poll-0", "poll-1", "poll-2", "poll-3", "poll-4"]


async def _one_place_three_polls() -> tuple[_GatedApp, list[asyncio.Task[None]]]:
    """A lane of one place: "first" inside it, "middle" and "last" waiting, in that order."""
    inner = _GatedApp()
    app = PollLaneMiddleware(inner, poll_concurrency=1, poll_concurrency_shop_busy=1)
    polls = []
    for name in ("first", "middle", "last"):
        polls.append(asyncio.create_task(app(_named(STATUS_PATH, name), _nothing, _ignore)))
        await _settle()
    return inner, polls


async def _only_last_goes_in(inner: _GatedApp, polls: list[asyncio.Task[None]]) -> None:
    first, middle, last = polls
    await _settle()
    assert inner.inside == ["last"]
    inner.open("last")
    await asyncio.gather(first, last)
    with pytest.raises(asyncio.CancelledError):
        await middle
    assert inner.entered == ["first", "last"]


async def test_a_poll_cancelled_while_waiting_takes_no_place() -> None:
    inner, polls = await _one_place_three_polls()

    inner.open("first")
    polls[1].cancel()  # "first" hands its place over before the cancelled task runs again

    await _only_last_goes_in(inner, polls)


async def test_a_poll_cancelled_as_it_is_handed_a_place_gives_it_back() -> None:
    inner, polls = await _one_place_three_polls()

    inner.open("first")
    await asyncio.sleep(0)  # "first" ends and hands its place to "middle", which has not run
    polls[1].cancel()

    await _only_last_goes_in(inner, polls)
