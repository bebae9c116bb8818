"""Server-sent events of the waiting room: GET /api/v1/queue/stream.

httpx's ASGITransport hands back a response only once its body is complete, so these tests
drive the ASGI app directly (`EventStream`: receive and send callables that hand each body chunk
to the test as it is sent), on the test's backend like every e2e test. One more test runs a
real `boxoffice serve`, to see the events arrive over HTTP through uvicorn while the server's
own admission loop lets the fan in.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from boxoffice.bootstrap import Container
from boxoffice.settings import Settings
from boxoffice.waiting_room import stream as stream_module
from tests.servers import boxoffice_server, drop_room, server_env

from .support import altered_token, assert_problem

if TYPE_CHECKING:
    from tests.conftest import Fan, Shop

STREAM = "/api/v1/queue/stream"
LEAVE = "/api/v1/queue/tokens/current"
# The promise: a waiting fan sees admission within a second of it, because the process's one
# admission reader reads every stream_interval_seconds (0.5 s) and wakes the fan's stream. The
# tests hold what makes it true without racing a clock: the stream is woken by that reader, at
# its first read after the admission, and does not read the pass on its own meanwhile.
PATIENCE = 5.0  # how long a test waits for anything before it fails
# A fan fifth in line is told to poll after 16 s, so a stream reads that fan's pass on its own
# only every heartbeat (15 s): news that arrives within PATIENCE was pushed, never polled.
OWN_PACE = stream_module.HEARTBEAT_SECONDS


@dataclass(frozen=True)
class Event:
    name: str  # "status", "error", "replaced", or "comment" for a heartbeat line
    data: Any
    retry_ms: int | None = None  # the `retry:` field, if the event has one


def _parse(block: str) -> Event:
    if block.startswith(":"):
        return Event("comment", block[1:].strip())
    fields = dict(line.split(": ", 1) for line in block.splitlines())
    retry = fields.pop("retry", None)
    assert set(fields) == {"event", "data"}, block
    return Event(fields["event"], json.loads(fields["data"]), None if retry is None else int(retry))


class EventStream:
    """One GET of the stream on the ASGI app, read event by event as the app sends them."""

    def __init__(self, app: FastAPI, params: dict[str, str], headers: dict[str, str]) -> None:
        self._app = app
        self._scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},  # as uvicorn's HTTP protocols
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": STREAM,
            "raw_path": STREAM.encode(),
            "root_path": "",
            "query_string": urlencode(params).encode(),
            "headers": [
                (b"host", b"test"),
                *((name.lower().encode(), value.encode()) for name, value in headers.items()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("test", 80),
        }
        self._requested = False
        self._gone = asyncio.Event()
        self._started = asyncio.Event()
        self._chunks: asyncio.Queue[bytes | None] = asyncio.Queue()  # None: the body ended
        self._buffer = ""
        self._task: asyncio.Task[None] | None = None
        self.status = 0
        self.headers: dict[str, str] = {}
        self.complete = False

    async def _receive(self) -> Message:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            self._started.set()
        elif message["type"] == "http.response.body":
            self._chunks.put_nowait(message.get("body", b""))
            if not message.get("more_body", False):
                self.complete = True
                self._chunks.put_nowait(None)

    async def __aenter__(self) -> EventStream:
        self._task = asyncio.create_task(self._app(self._scope, self._receive, self._send))
        await asyncio.wait_for(self._started.wait(), PATIENCE)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.disconnect()

    async def disconnect(self) -> None:
        """The client goes away; the app must then finish promptly."""
        self._gone.set()
        assert self._task is not None
        try:
            await asyncio.wait_for(self._task, PATIENCE)
        finally:
            if not self._task.done():
                self._task.cancel()

    async def body(self) -> bytes:
        """The whole body of a response that is not a stream (an error)."""
        parts: list[bytes] = []
        while True:
            chunk = await asyncio.wait_for(self._chunks.get(), PATIENCE)
            if chunk is None:
                return b"".join(parts)
            parts.append(chunk)

    async def next_event(self) -> Event | None:
        """The next event, or None when the stream has ended; PATIENCE at most."""
        while "\n\n" not in self._buffer:
            chunk = await asyncio.wait_for(self._chunks.get(), PATIENCE)
            if chunk is None:
                assert self._buffer == "", self._buffer
                return None
            self._buffer += chunk.decode()
        block, self._buffer = self._buffer.split("\n\n", 1)
        return _parse(block)

    async def problem(self) -> httpx.Response:
        """The error answer as an httpx response, for `assert_problem`."""
        return httpx.Response(self.status, headers=self.headers, content=await self.body())


def _bearer(fan: Fan) -> str:
    return fan.auth["Authorization"].removeprefix("Bearer ")


async def stream_query(shop: Shop, fan: Fan) -> dict[str, str]:
    """What an EventSource sends (it cannot send headers): the pass, and a stream ticket the
    page asked for with the fan's headers, in the query."""
    assert fan.queue_token is not None
    answer = await shop.client.post("/api/v1/queue/stream-tickets", headers=fan.with_pass)
    assert answer.status_code == 201, answer.text
    return {"token": fan.queue_token, "ticket": answer.json()["ticket"]}


def open_stream(
    app: FastAPI, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> EventStream:
    return EventStream(app, params or {}, headers or {})


async def fan_waiting_far_back(shop: Shop) -> Fan:
    """Room for one fan, taken; four wait ahead of this one. One admission in the measured span
    (ten seconds) makes 0.1 a second, so a wait of 50 s: the fan is told to poll after 16 s."""
    await shop.set_queue_policy(max_active=1)
    await shop.admitted_fan()
    for _ in range(4):
        await shop.join(await shop.sign_up())
    fan = await shop.sign_up()
    await shop.join(fan)
    polled = await shop.queue_status(fan)
    assert (polled["position"], polled["poll_after_seconds"]) == (5, 16)
    assert polled["poll_after_seconds"] > OWN_PACE
    return fan


_STREAM_ENTRIES = ("woken", "stopped waiting", "pass read")


class StreamLog:
    """What happens around one fan's stream, in order: the process's admission reader's reads
    of the store ("read: admitted" once it sees the fan let in, else "read: waiting"); the
    stream's waits for that reader, ended by its wake-up ("woken") or otherwise, by the stream's
    own pace or by its end ("stopped waiting"); the pass read by the stream ("pass read"); and
    the test's own marks."""

    def __init__(self, container: Container, fan: Fan, monkeypatch: pytest.MonkeyPatch) -> None:
        assert fan.queue_token is not None
        claims = container.signer.read_pass(fan.queue_token)
        assert claims is not None
        self.entries: list[str] = []
        room, store = container.waiting_room, container.store
        real_status, real_wait, real_read = room.status, room.await_admission, store.admitted_since

        async def status(*args: Any, **kwargs: Any) -> Any:
            self.entries.append("pass read")
            return await real_status(*args, **kwargs)

        async def await_admission(*args: Any, **kwargs: Any) -> None:
            try:
                await real_wait(*args, **kwargs)
            except asyncio.CancelledError:
                self.entries.append("stopped waiting")
                raise
            self.entries.append("woken")

        async def admitted_since(since: float) -> list[tuple[str, float]]:
            found = await real_read(since)
            seen = any(pass_id == claims.pass_id for pass_id, _ in found)
            self.entries.append("read: admitted" if seen else "read: waiting")
            return found

        monkeypatch.setattr(room, "status", status)
        monkeypatch.setattr(room, "await_admission", await_admission)
        monkeypatch.setattr(store, "admitted_since", admitted_since)

    def mark(self, entry: str) -> None:
        self.entries.append(entry)

    def since(self, mark: str) -> list[str]:
        return self.entries[self.entries.index(mark) + 1 :]

    def count(self, entry: str, since: str | None = None) -> int:
        return (self.entries if since is None else self.since(since)).count(entry)

    def of_the_stream(self, since: str) -> list[str]:
        """The stream's own entries since the mark `since`: not the reader's, nor marks."""
        return [entry for entry in self.since(since) if entry in _STREAM_ENTRIES]

    async def admit(self, shop: Shop) -> None:
        """One admission step that lets in the whole line, as another instance would run it:
        no word reaches this process's streams but through its admission reader. Marked
        "admitting" before and "admitted" after."""
        self.mark("admitting")
        assert len(await shop.admit()) == 5
        self.mark("admitted")


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for `condition`, checked every few milliseconds, for PATIENCE at most."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.005)


@pytest.fixture
def stream_interval() -> float | None:
    """How often the process reads admissions for its streams; None keeps the default."""
    return None


@pytest.fixture
def settings(settings: Settings, stream_interval: float | None) -> Settings:
    if stream_interval is None:
        return settings
    return settings.model_copy(update={"stream_interval_seconds": stream_interval})


# Admissions read every 50 ms, for tests that need not wait half-second rounds.
fast_polling = pytest.mark.parametrize("stream_interval", [0.05], ids=["poll-every-50ms"])


# The events


async def test_the_stream_answers_server_sent_events_starting_with_the_status(
    app: FastAPI, shop: Shop
) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    polled = await shop.queue_status(fan)

    async with open_stream(app, await stream_query(shop, fan)) as events:
        first = await events.next_event()

        assert events.status == 200
        assert events.headers["content-type"].startswith("text/event-stream")
        assert events.headers["cache-control"] == "no-store"
        assert first is not None
        assert first.name == "status"
        assert first.data == polled
        assert (first.data["status"], first.data["token"]) == ("WAITING", fan.queue_token)


async def test_the_account_and_the_pass_may_come_as_headers(app: FastAPI, shop: Shop) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    polled = await shop.queue_status(fan)

    async with open_stream(app, headers=fan.with_pass) as events:
        first = await events.next_event()

    assert events.status == 200
    assert first is not None
    assert (first.name, first.data) == ("status", polled)


async def test_admission_is_pushed_by_the_admission_reader_and_ends_the_stream(
    app: FastAPI, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shop.container.settings.stream_interval_seconds == 0.5  # the default, as served
    watch = shop.container.waiting_room.watch
    fan = await fan_waiting_far_back(shop)
    log = StreamLog(shop.container, fan, monkeypatch)

    async with open_stream(app, await stream_query(shop, fan)) as events:
        first = await events.next_event()
        assert first is not None
        assert (first.data["status"], first.data["position"]) == ("WAITING", 5)
        await until(lambda: watch.waiting == 1, "the stream waits on the admission reader")

        await shop.set_queue_policy(max_active=100)  # room for the whole line
        await log.admit(shop)
        # Within PATIENCE, where the stream's own read of the pass is OWN_PACE (15 s) away: a
        # slow machine cannot make the pushed news late enough to fail, nor a stream that
        # waits for its own read fast enough to pass.
        active = await events.next_event()

        assert active is not None
        assert active.name == "status"
        assert active.data == await shop.queue_status(fan)
        assert (active.data["status"], active.data["position"]) == ("ACTIVE", None)
        assert await events.next_event() is None  # the stream ends with admission
        assert events.complete

    # The stream was woken, never timed out, and then read the pass once...
    assert log.of_the_stream("admitting") == ["woken", "pass read"], log.entries
    # ... by the read of the reader that saw the admission: its first read once the admission
    # was made, for the reader reads one at a time, so one read at most was on its way then
    # and could miss it. So the news comes within one of the reader's intervals.
    after = log.since("admitting")
    seen = after.index("read: admitted")
    assert seen < after.index("woken"), log.entries
    assert after[after.index("admitted") : seen].count("read: waiting") <= 1, log.entries


@fast_polling
async def test_a_waiting_stream_reads_its_pass_at_the_polling_pace_not_every_interval(
    app: FastAPI, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Thousands of open streams must cost the store no more than the same fans polling:
    # admission is pushed by the process's one admission reader, the pass read as advised.
    fan = await fan_waiting_far_back(shop)
    log = StreamLog(shop.container, fan, monkeypatch)
    async with open_stream(app, await stream_query(shop, fan)) as events:
        first = await events.next_event()
        assert first is not None
        assert first.data["poll_after_seconds"] > OWN_PACE
        log.mark("streaming")
        # Twelve of the reader's rounds (it reads every 50 ms here), counted, not timed: a
        # stream that read its pass each round would have read it about as often.
        await until(lambda: log.count("read: waiting", since="streaming") >= 12, "12 reads")

        assert log.count("pass read", since="streaming") == 0
        await shop.set_queue_policy(max_active=100)  # room for the whole line
        await log.admit(shop)
        active = await events.next_event()

    assert active is not None
    assert active.data["status"] == "ACTIVE"
    assert log.of_the_stream("streaming") == ["woken", "pass read"], log.entries


async def test_a_pass_already_active_gets_one_event_and_the_stream_ends(
    app: FastAPI, shop: Shop
) -> None:
    fan = await shop.admitted_fan()

    async with open_stream(app, await stream_query(shop, fan)) as events:
        only = await events.next_event()
        assert only is not None
        assert (only.name, only.data["status"]) == ("status", "ACTIVE")
        assert await events.next_event() is None


@fast_polling
async def test_a_move_up_the_line_is_sent_as_a_new_status(
    app: FastAPI, client: httpx.AsyncClient, shop: Shop
) -> None:
    ahead, fan = await shop.sign_up(), await shop.sign_up()
    await shop.join(ahead)
    await shop.join(fan)

    async with open_stream(app, await stream_query(shop, fan)) as events:
        first = await events.next_event()
        assert first is not None
        assert first.data["position"] == 2
        assert (await client.delete(LEAVE, headers=ahead.with_pass)).status_code == 204

        moved = await events.next_event()

        assert moved is not None
        assert moved.name == "status"
        assert (moved.data["status"], moved.data["position"]) == ("WAITING", 1)
        assert moved.data == await shop.queue_status(fan)


@fast_polling
async def test_nothing_is_sent_while_nothing_changes_but_heartbeats(
    app: FastAPI, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_module, "HEARTBEAT_SECONDS", 0.2)
    fan = await shop.sign_up()
    await shop.join(fan)

    async with open_stream(app, await stream_query(shop, fan)) as events:
        await events.next_event()
        beats = [await events.next_event() for _ in range(2)]

    assert [(beat.name, beat.data) if beat else None for beat in beats] == [
        ("comment", "heartbeat")
    ] * 2


@fast_polling
async def test_a_pass_that_ends_while_streaming_gets_an_error_event(
    app: FastAPI, client: httpx.AsyncClient, shop: Shop
) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)

    async with open_stream(app, await stream_query(shop, fan)) as events:
        await events.next_event()
        assert (await client.delete(LEAVE, headers=fan.with_pass)).status_code == 204

        error = await events.next_event()

        assert error is not None
        assert error.name == "error"
        assert error.data["code"] == "QUEUE_TOKEN_EXPIRED"
        assert error.data["status"] == 401
        assert await events.next_event() is None


async def test_the_stream_stops_when_the_client_goes_away(
    app: FastAPI, shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = shop.container.waiting_room.watch
    fan = await fan_waiting_far_back(shop)
    log = StreamLog(shop.container, fan, monkeypatch)
    async with open_stream(app, await stream_query(shop, fan)) as events:
        await events.next_event()
        await until(lambda: watch.waiting == 1, "the stream waits on the admission reader")
        log.mark("gone")

        # Fails if the app still streams PATIENCE seconds later. Left to notice on its own
        # next turn, the stream would take OWN_PACE (15 s): it must stop when told.
        await events.disconnect()

    assert watch.waiting == 0  # it waits on the reader no more
    assert log.of_the_stream("gone") == ["stopped waiting"]  # and read nothing more


# Refusals: problem documents before any event


async def assert_stream_refused(events: EventStream, status: int, code: str) -> None:
    assert events.headers["content-type"].startswith("application/problem+json")
    assert_problem(await events.problem(), status, code)


async def test_without_a_valid_access_token_the_stream_is_unauthenticated(
    app: FastAPI, shop: Shop
) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    assert fan.queue_token is not None
    access = _bearer(fan)
    forged = altered_token(access, sub="999999")
    cases = {
        "missing": ({"token": fan.queue_token}, {}),
        "the access token in the query": ({"token": fan.queue_token, "access_token": access}, {}),
        "forged ticket": ({"token": fan.queue_token, "ticket": forged}, {}),
        "garbage ticket": ({"token": fan.queue_token, "ticket": "nope"}, {}),
        "access token as ticket": ({"token": fan.queue_token, "ticket": access}, {}),
        "forged header": ({}, {"Authorization": f"Bearer {forged}", "X-Queue-Token": "x"}),
        "not a bearer": ({}, {"Authorization": f"Basic {access}", "X-Queue-Token": "x"}),
        "pass as access": ({}, {"Authorization": f"Bearer {fan.queue_token}"}),
    }
    for name, (params, headers) in cases.items():
        async with open_stream(app, params, headers) as events:
            assert events.status == 401, name
            assert events.headers.get("www-authenticate") == "Bearer", name
            await assert_stream_refused(events, 401, "UNAUTHENTICATED")


async def test_an_expired_access_token_is_unauthenticated(app: FastAPI, shop: Shop) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    query = await stream_query(shop, fan)
    shop.clock.advance(shop.container.settings.access_token_ttl_seconds + 1)

    async with open_stream(app, headers={**fan.auth, "X-Queue-Token": query["token"]}) as events:
        await assert_stream_refused(events, 401, "UNAUTHENTICATED")
    async with open_stream(app, query) as events:  # the ticket long expired too
        await assert_stream_refused(events, 401, "UNAUTHENTICATED")


async def test_a_missing_or_forged_pass_is_invalid(app: FastAPI, shop: Shop) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    assert fan.queue_token is not None
    access = _bearer(fan)
    cases = {
        "missing": {},
        "garbage": {"token": "not-a-pass"},
        "altered": {"token": altered_token(fan.queue_token, pid="x")},
        "truncated": {"token": fan.queue_token[:-3]},
        "access as pass": {"token": access},
    }
    for name, params in cases.items():
        async with open_stream(app, params, fan.auth) as events:
            assert events.status == 401, name
            await assert_stream_refused(events, 401, "QUEUE_TOKEN_INVALID")
    async with open_stream(app, headers={**fan.auth, "X-Queue-Token": "not-a-pass"}) as events:
        await assert_stream_refused(events, 401, "QUEUE_TOKEN_INVALID")


async def test_another_fans_or_a_spent_pass_is_refused(
    app: FastAPI, client: httpx.AsyncClient, shop: Shop
) -> None:
    owner, other = await shop.sign_up(), await shop.sign_up()
    await shop.join(owner)
    await shop.join(other)
    assert owner.queue_token is not None

    borrowed = {"token": owner.queue_token}
    async with open_stream(app, borrowed, other.auth) as events:
        await assert_stream_refused(events, 403, "QUEUE_TOKEN_FORBIDDEN")

    assert (await client.delete(LEAVE, headers=owner.with_pass)).status_code == 204
    async with open_stream(app, await stream_query(shop, owner)) as events:
        await assert_stream_refused(events, 401, "QUEUE_TOKEN_EXPIRED")


# Through a real server


TEST_DATABASE_URL = os.environ.get("BOXOFFICE_TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("BOXOFFICE_TEST_REDIS_URL") or None
SERVER_ADMIN_KEY = "stream-test-admin-key-0123456789ab"


@dataclass(frozen=True)
class Served:
    url: str
    admin: dict[str, str]


def _server_env(data_dir: Path, room: str) -> dict[str, str]:
    """The shell's environment without BOXOFFICE_*, plus this server's; on PostgreSQL and Redis
    when the run is (a room of its own), else the embedded default."""
    env = server_env(
        data_dir,
        secret_key=f"stream-test-secret-{uuid.uuid4().hex}",
        admin_key=SERVER_ADMIN_KEY,
        admission_interval_seconds="0.1",
        queue_max_active="1",
        queue_limit_per_ip="0",
    )
    if TEST_DATABASE_URL and TEST_REDIS_URL:
        env.update(
            BOXOFFICE_DATABASE_URL=TEST_DATABASE_URL,
            BOXOFFICE_REDIS_URL=TEST_REDIS_URL,
            BOXOFFICE_QUEUE_ROOM=room,
            BOXOFFICE_DB_POOL_SIZE="2",
            BOXOFFICE_DB_MAX_OVERFLOW="2",
        )
    return env


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`boxoffice migrate`, then `boxoffice serve` on a free port, with its admission loop."""
    room = f"test-stream-{uuid.uuid4().hex}"
    env = _server_env(tmp_path / "data", room)
    try:
        with boxoffice_server(env, tmp_path / "server.log") as url:
            yield Served(url, {"X-Admin-Key": SERVER_ADMIN_KEY})
    finally:
        if TEST_REDIS_URL:
            drop_room(TEST_REDIS_URL, room)


async def _served_fan(http: httpx.AsyncClient) -> dict[str, str]:
    """A new account, logged in and in the line: the stream's query parameters."""
    username = f"sse_{uuid.uuid4().hex[:12]}"
    password = "correct horse battery"
    created = await http.post("/api/v1/users", json={"username": username, "password": password})
    assert created.status_code == 201, created.text
    login = await http.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    joined = await http.post("/api/v1/queue/tokens", headers=auth)
    assert joined.status_code == 201, joined.text
    token = joined.json()["token"]
    ticket = await http.post(
        "/api/v1/queue/stream-tickets", headers={**auth, "X-Queue-Token": token}
    )
    assert ticket.status_code == 201, ticket.text
    return {"token": token, "ticket": ticket.json()["ticket"]}


async def _next_event(lines: Any) -> tuple[Event, float]:
    """The next `event:` block of an HTTP stream, and when its last line arrived."""
    block: list[str] = []
    async for line in lines:
        if line:
            block.append(line)
        elif block:
            return _parse("\n".join(block)), time.monotonic()
    raise AssertionError(f"the stream ended: {block}")


async def test_through_a_real_server_a_waiting_fan_hears_of_admission_when_it_is_made(
    served: Served,
) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=PATIENCE) as http:
        # The server's own loop lets a first fan in; the others wait for free slots, this fan
        # fifth, so told to poll after 16 s: the stream reads the pass itself only every
        # OWN_PACE (15 s).
        await _served_fan(http)
        for _ in range(4):
            await _served_fan(http)
        fan = await _served_fan(http)
        deadline = time.monotonic() + PATIENCE
        while (await http.get("/api/v1/admin/queue", headers=served.admin)).json()["active"] < 1:
            assert time.monotonic() < deadline, "the first fan was never admitted"
            await asyncio.sleep(0.05)

        # Reads of the stream wait as long as the stream's own pace; the test's deadlines govern.
        async with http.stream("GET", STREAM, params=fan, timeout=OWN_PACE + PATIENCE) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            first, first_arrived = await asyncio.wait_for(_next_event(lines), PATIENCE)
            assert first.name == "status"
            assert (first.data["status"], first.data["position"]) == ("WAITING", 5)
            assert first.data["poll_after_seconds"] > OWN_PACE

            # Room for all five: the server's admission loop, woken by the change, lets them
            # in and wakes its own streams at once.
            room = await http.put(
                "/api/v1/admin/queue", json={"max_active": 6}, headers=served.admin
            )
            assert room.status_code == 200, room.text
            # The one real-time bound here, and a wide one: pushed news comes well within a
            # second; a stream that waited for its own read would hear OWN_PACE (15 s) after
            # its first event. Ten seconds lie between, for a slow machine.
            pushed_by = first_arrived + OWN_PACE - 5.0
            active, _ = await asyncio.wait_for(_next_event(lines), pushed_by - time.monotonic())

            assert (active.name, active.data["status"]) == ("status", "ACTIVE")
            assert [line async for line in lines] == []  # and the stream ends
