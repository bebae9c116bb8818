"""A stopping process ends its event streams at once, each with a hint to reconnect.

On SIGTERM uvicorn waits for every response in flight, up to GRACEFUL_SHUTDOWN_SECONDS; an event
stream never ends by itself, so without the drain each restart would take that long and cut the
fans off without a word. In process the drain is started by hand (`app.state.draining`); one
test sends a real `boxoffice serve` SIGTERM. The rolling restart behind nginx is in the fault
suite (tests/faults/test_rolling_restart.py).
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI

from boxoffice.cli import GRACEFUL_SHUTDOWN_SECONDS
from boxoffice.platform.draining import Draining
from boxoffice.waiting_room.stream import RECONNECT_MS
from tests.servers import drop_room, served

from .test_queue_stream import (
    OWN_PACE,
    PATIENCE,
    STREAM,
    TEST_REDIS_URL,
    _served_fan,
    _server_env,
    fan_waiting_far_back,
    open_stream,
    stream_query,
    until,
)

if TYPE_CHECKING:
    from tests.conftest import Shop

# PATIENCE (5 s) is well below the stream's own pace (OWN_PACE, 15 s) and the graceful timeout
# (10 s): an end that comes within it was the drain's doing.
assert min(OWN_PACE, GRACEFUL_SHUTDOWN_SECONDS) > PATIENCE


def _reconnect_hint(text: str) -> tuple[int, dict[str, Any]]:
    """The `retry:` and the data of the one `reconnect` event that `text` must be."""
    assert text.endswith("\n\n"), text
    fields = dict(line.split(": ", 1) for line in text.strip("\n").splitlines())
    assert set(fields) == {"retry", "event", "data"}, text
    assert fields["event"] == "reconnect", text
    return int(fields["retry"]), json.loads(fields["data"])


def _assert_hint(text: str) -> None:
    retry_ms, data = _reconnect_hint(text)
    assert RECONNECT_MS[0] <= retry_ms <= RECONNECT_MS[1]
    assert data["retry_ms"] == retry_ms
    assert "place in line is kept" in data["detail"]


async def test_draining_ends_a_waiting_stream_at_once_with_a_reconnect_hint(
    app: FastAPI, shop: Shop
) -> None:
    draining: Draining = app.state.draining
    fan = await fan_waiting_far_back(shop)  # its stream reads the pass only every OWN_PACE
    async with open_stream(app, await stream_query(shop, fan)) as events:
        first = await events.next_event()
        assert first is not None
        assert (first.name, first.data["status"]) == ("status", "WAITING")
        await until(lambda: shop.container.waiting_room.watch.waiting == 1, "the stream waits")

        draining.start()
        rest = await events.body()  # each chunk within PATIENCE, and then the end

        assert events.complete
    _assert_hint(rest.decode())
    # The fan's place is untouched: the stream ended, the pass did not.
    status = await shop.queue_status(fan)
    assert (status["status"], status["position"]) == ("WAITING", 5)


async def test_a_stream_opened_while_draining_gets_its_status_and_the_hint(
    app: FastAPI, shop: Shop
) -> None:
    # A request the server accepted just before it closed its socket.
    fan = await fan_waiting_far_back(shop)
    app.state.draining.start()

    async with open_stream(app, await stream_query(shop, fan)) as events:
        first = await events.next_event()
        rest = await events.body()

    assert first is not None
    assert (first.name, first.data["position"]) == ("status", 5)
    _assert_hint(rest.decode())


@dataclass(frozen=True)
class RealServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def real_server(tmp_path: Path) -> Iterator[RealServer]:
    """`boxoffice serve` on a free port (migrated first), stopped at the end if still running."""
    room = f"test-drain-{uuid.uuid4().hex}"
    env = _server_env(tmp_path / "data", room)
    log = tmp_path / "server.log"
    try:
        with served(env, log) as (url, process):
            yield RealServer(url, process, log)
    finally:
        if TEST_REDIS_URL:
            drop_room(TEST_REDIS_URL, room)


async def test_sigterm_ends_a_real_servers_streams_and_it_exits_at_once(
    real_server: RealServer,
) -> None:
    server = real_server.process
    async with httpx.AsyncClient(base_url=real_server.url, timeout=PATIENCE) as http:
        await _served_fan(http)  # the one slot (QUEUE_MAX_ACTIVE=1)
        fan = await _served_fan(http)  # waits second in line
        async with http.stream("GET", STREAM, params=fan, timeout=OWN_PACE * 2) as response:
            lines = response.aiter_lines()
            assert (await anext(lines)) == "event: status"
            assert '"status":"WAITING"' in await anext(lines)
            assert (await anext(lines)) == ""

            server.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            rest = await asyncio.wait_for(_to_the_end(lines), PATIENCE)
        exit_code = await asyncio.to_thread(server.wait, GRACEFUL_SHUTDOWN_SECONDS + 5)
        exited_after = time.monotonic() - signalled

    _assert_hint(rest)
    # uvicorn, done, re-raises the signal it caught: the process ends by SIGTERM, at once.
    assert exit_code == -signal.SIGTERM
    assert exited_after < PATIENCE
    assert "graceful shutdown exceeded" not in real_server.log.read_text(errors="replace")


async def _to_the_end(lines: Any) -> str:
    """What is left of a stream read line by line, as text, once the server ends it."""
    return "".join([f"{line}\n" async for line in lines])
