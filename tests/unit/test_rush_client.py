"""The load generator's client: fans in the shop have connections of their own, so a line that
takes every connection of its pool cannot hold them up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from time import perf_counter

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from boxoffice_rush.client import HttpClient, Reply
from boxoffice_rush.stats import Recorder


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """`/slow` answers once the event is set; `/fast` at once."""
    gate = asyncio.Event()

    async def slow(_: web.Request) -> web.Response:
        await gate.wait()
        return web.json_response({"slow": True})

    async def fast(_: web.Request) -> web.Response:
        return web.json_response({"fast": True})

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_get("/fast", fast)
    async with TestServer(app) as test_server:
        yield str(test_server.make_url("")).rstrip("/"), gate
        gate.set()


async def _line_holding_its_connection(client: HttpClient) -> asyncio.Task[Reply]:
    """A line request that keeps the line's one connection until the server's gate opens."""
    in_line = asyncio.create_task(client.call("slow", "GET", "/slow"))
    await asyncio.sleep(0.05)
    return in_line


async def test_a_shop_request_passes_a_line_that_holds_every_connection(server) -> None:
    url, gate = server
    recorder = Recorder(perf_counter())
    client = HttpClient(url, 1, recorder, shop_connections=1)
    try:
        in_line = await _line_holding_its_connection(client)

        shopping = await asyncio.wait_for(client.call("fast", "GET", "/fast", shop=True), 5)

        assert (shopping.status, shopping.body) == (200, {"fast": True})
        assert not in_line.done()
        gate.set()
        assert (await in_line).status == 200
    finally:
        await client.close()
    assert recorder.slot_requests == {"line": 1, "shop": 1}
    assert recorder.mean_slot_wait_ms("shop") < 1_000


async def test_without_shop_connections_the_shop_waits_behind_the_line(server) -> None:
    url, gate = server
    recorder = Recorder(perf_counter())
    client = HttpClient(url, 1, recorder, shop_connections=0)
    try:
        in_line = await _line_holding_its_connection(client)
        shopping = asyncio.create_task(client.call("fast", "GET", "/fast", shop=True))

        await asyncio.sleep(0.2)
        assert not shopping.done()  # waiting for the one shared connection
        gate.set()
        assert (await shopping).status == 200
        await in_line
    finally:
        await client.close()
    assert recorder.slot_requests == {"line": 2}
    assert recorder.mean_slot_wait_ms("line") > 0
    assert recorder.mean_slot_wait_ms("shop") == 0.0
