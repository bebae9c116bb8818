"""Event streams count toward caps: per pass and per account, in each process, past which the
oldest stream ends with a `replaced` event (a fan who reloads keeps the new one, never refused).
Once, 50 streams opened at once on one pass were all accepted and held open."""

from __future__ import annotations

import contextlib

import pytest
from fastapi import FastAPI

from boxoffice.settings import Settings
from boxoffice.waiting_room import stream as stream_module
from tests.conftest import Fan, Shop
from tests.e2e.test_queue_stream import EventStream, open_stream


@pytest.fixture
def caps() -> tuple[int, int]:
    """Open streams per pass and per account: the defaults unless a test says otherwise."""
    return 2, 4


@pytest.fixture
def settings(settings: Settings, caps: tuple[int, int]) -> Settings:
    per_pass, per_account = caps
    update = {"stream_max_per_pass": per_pass, "stream_max_per_account": per_account}
    return settings.model_copy(update=update)


async def _opened(stack: contextlib.AsyncExitStack, app: FastAPI, fan: Fan) -> EventStream:
    # With headers, as a client that can send them does (a ticket each would meet their limit).
    assert fan.queue_token is not None
    stream = open_stream(app, {"token": fan.queue_token}, fan.auth)
    events = await stack.enter_async_context(stream)
    assert events.status == 200
    first = await events.next_event()
    assert first is not None
    assert first.name == "status"
    return events


async def test_fifty_streams_on_one_pass_leave_two_open(app: FastAPI, shop: Shop) -> None:
    await shop.set_queue_policy(max_active=1)
    await shop.admitted_fan()  # the one slot: the fan below waits
    fan = await shop.sign_up()
    await shop.join(fan)
    slots = app.state.stream_slots

    async with contextlib.AsyncExitStack() as stack:
        streams = [await _opened(stack, app, fan) for _ in range(50)]

        # Every one was served (a reload is never refused), and every one but the last two
        # was ended, each with a `replaced` event telling a client to wait a minute.
        for events in streams[:-2]:
            ended = await events.next_event()
            assert ended is not None
            assert ended.name == "replaced", ended
            assert ended.data["retry_ms"] == stream_module.REPLACED_RETRY_MS
            assert ended.retry_ms == stream_module.REPLACED_RETRY_MS
            assert await events.next_event() is None
            assert events.complete
        assert not any(events.complete for events in streams[-2:])
        assert slots.count(pass_id=_pass_id(app, fan)) == 2

    assert slots.count(pass_id=_pass_id(app, fan)) == 0  # gone with their clients


@pytest.mark.parametrize("caps", [(3, 2)], ids=["pass-3-account-2"])
async def test_an_account_holds_no_more_streams_than_its_cap(app: FastAPI, shop: Shop) -> None:
    # One pass per account today; with a line per concert a fan holds several, and an account's
    # cap bounds their streams together (a pass left a moment ago may still have its own).
    await shop.set_queue_policy(max_active=1)
    await shop.admitted_fan()
    fan = await shop.sign_up()
    await shop.join(fan)

    async with contextlib.AsyncExitStack() as stack:
        oldest, older = await _opened(stack, app, fan), await _opened(stack, app, fan)
        newest = await _opened(stack, app, fan)  # within the pass's 3, past the account's 2

        ended = await oldest.next_event()
        assert ended is not None
        assert ended.name == "replaced"
        assert not older.complete
        assert not newest.complete
        assert app.state.stream_slots.count(user_id=fan.id) == 2


async def test_a_closed_stream_frees_its_place(app: FastAPI, shop: Shop) -> None:
    await shop.set_queue_policy(max_active=1)
    await shop.admitted_fan()
    fan = await shop.sign_up()
    await shop.join(fan)

    async with contextlib.AsyncExitStack() as stack:
        first = await _opened(stack, app, fan)
        second = await _opened(stack, app, fan)
        await first.disconnect()  # the tab was closed
        third = await _opened(stack, app, fan)

        assert not second.complete
        assert not third.complete
        assert app.state.stream_slots.count(user_id=fan.id) == 2


def _pass_id(app: FastAPI, fan: Fan) -> str:
    assert fan.queue_token is not None
    claims = app.state.container.signer.read_pass(fan.queue_token)
    assert claims is not None
    return str(claims.pass_id)
