"""`StatementBatcher` on a fake statement: which calls go together, in what order, and what a
failure or a cancellation does to a batch (the PostgreSQL side: tests/integration/
test_hold_batches.py and the contract suites)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, cast

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.platform.batching import StatementBatcher

CONNECTION = cast(AsyncConnection, object())


class Request:
    """A request's connection (every request's is the one fake), checked out when first asked
    for: `log` notes `call` each time (`refused`: the database refuses the checkout)."""

    def __init__(
        self, call: int = 0, log: list[int] | None = None, *, refused: bool = False
    ) -> None:
        self.call = call
        self.log = log
        self.refused = refused
        self.checked_out = False

    async def connection(self) -> AsyncConnection:
        if self.log is not None:
            self.log.append(self.call)
        if self.refused:
            raise ConnectionRefusedError("the database refused the connection")
        return CONNECTION


# Requests that never had their connection checked out before their call.
REQUEST = Request()


class Requests:
    """Each request's connection: which requests' were checked out, in order."""

    def __init__(self, *, refused: bool = False) -> None:
        self.checked_out: list[int] = []
        self.refused = refused

    def of(self, call: int) -> Request:
        return Request(call, self.checked_out, refused=self.refused)


class Statement:
    """Answers each call with its double; `gone` fails any batch holding it; `gate`, when set,
    holds every statement until opened."""

    def __init__(self, gone: int | None = None) -> None:
        self.sent: list[list[int]] = []
        self.gone = gone
        self.gate: asyncio.Event | None = None

    async def __call__(self, connection: AsyncConnection, calls: Sequence[int]) -> list[int]:
        assert connection is CONNECTION
        self.sent.append(list(calls))
        if self.gate is not None:
            await self.gate.wait()
        else:
            await asyncio.sleep(0)
        if self.gone in calls:
            raise IntegrityError("statement", {}, Exception("no such account"))
        return [call * 2 for call in calls]


def _batcher(statement: Statement, **options: Any) -> StatementBatcher[int, int]:
    return StatementBatcher("test", statement, lambda call: call, **options)


def test_calls_asked_for_in_one_turn_go_as_one_batch_in_order() -> None:
    async def scenario() -> None:
        statement = Statement()
        batcher = _batcher(statement)
        answers = await asyncio.gather(*(batcher.run(REQUEST, call) for call in (5, 3, 9, 1)))
        assert answers == [10, 6, 18, 2]
        assert statement.sent == [[1, 3, 5, 9]]

    asyncio.run(scenario())


async def _one_running_one_waiting() -> tuple[
    Statement, StatementBatcher[int, int], asyncio.Future[int], asyncio.Future[int]
]:
    """A held statement, a batcher of one batch at a time sending call 1, call 2 waiting."""
    statement = Statement()
    statement.gate = asyncio.Event()
    batcher = _batcher(statement, batches_at_once=1)
    running = asyncio.ensure_future(batcher.run(REQUEST, 1))
    await asyncio.sleep(0.01)
    return statement, batcher, running, asyncio.ensure_future(batcher.run(REQUEST, 2))


def test_only_the_first_request_of_a_batch_checks_a_connection_out() -> None:
    async def scenario() -> None:
        statement = Statement()
        batcher = _batcher(statement, most=3)
        requests = Requests()
        calls = (5, 3, 9, 1, 7)
        answers = await asyncio.gather(*(batcher.run(requests.of(c), c) for c in calls))
        assert answers == [10, 6, 18, 2, 14]
        assert statement.sent == [[3, 5, 9], [1, 7]]
        # The first request of each batch in arrival order; the others never take one.
        assert requests.checked_out == [3, 1]

    asyncio.run(scenario())


def test_a_refused_checkout_fails_every_call_of_its_batch() -> None:
    async def scenario() -> None:
        statement = Statement()
        batcher = _batcher(statement)
        requests = Requests(refused=True)
        answers = await asyncio.gather(
            *(batcher.run(requests.of(call), call) for call in (1, 2)), return_exceptions=True
        )
        assert [type(answer) for answer in answers] == [ConnectionRefusedError] * 2
        assert statement.sent == []
        assert (batcher.running, batcher.waiting) == (0, 0)

    asyncio.run(scenario())


def test_a_request_with_its_connection_checked_out_sends_its_call_alone_at_once() -> None:
    async def scenario() -> None:
        statement, batcher, running, queued = await _one_running_one_waiting()
        reading = Request()
        reading.checked_out = True  # it read something before its call
        alone = asyncio.ensure_future(batcher.run(reading, 3))
        await asyncio.sleep(0.01)
        # Not behind the running batch, nor in the next: sent on its own connection now.
        assert statement.sent == [[1], [3]]
        assert batcher.waiting == 1
        statement.gate.set()
        assert [await running, await queued, await alone] == [2, 4, 6]
        assert statement.sent == [[1], [3], [2]]

    asyncio.run(scenario())


def test_calls_that_arrive_while_batches_run_wait_for_the_next_one() -> None:
    async def scenario() -> None:
        statement = Statement()
        statement.gate = asyncio.Event()
        batcher = _batcher(statement, batches_at_once=1, most=2)
        first = asyncio.ensure_future(batcher.run(REQUEST, 1))
        await asyncio.sleep(0.01)
        later = [asyncio.ensure_future(batcher.run(REQUEST, call)) for call in (4, 3, 2)]
        await asyncio.sleep(0.01)
        assert (batcher.running, batcher.waiting) == (1, 3)
        statement.gate.set()
        assert await first == 2
        assert [await task for task in later] == [8, 6, 4]
        # At most two a batch, in order: the first two that arrived, then the last.
        assert statement.sent == [[1], [3, 4], [2]]

    asyncio.run(scenario())


def test_calls_kept_apart_go_in_batches_one_after_the_other_each_key_in_order() -> None:
    async def scenario() -> None:
        statement = Statement()
        statement.gate = asyncio.Event()
        # Kept apart by their last digit (as a fan's payments are): 11 and 21 after 1, in order.
        batcher = StatementBatcher("test", statement, lambda call: call, apart=lambda c: c % 10)
        calls = (21, 2, 1, 11, 3)
        tasks = [asyncio.ensure_future(batcher.run(REQUEST, call)) for call in calls]
        await asyncio.sleep(0.01)
        # A batch has one call of a key, its first in order; the second batch that may run at
        # once takes none of a key the running one has.
        assert statement.sent == [[1, 2, 3]]
        assert (batcher.running, batcher.waiting) == (1, 2)
        statement.gate.set()
        assert [await task for task in tasks] == [42, 4, 2, 22, 6]
        assert statement.sent == [[1, 2, 3], [11], [21]]
        assert (batcher.running, batcher.waiting) == (0, 0)

    asyncio.run(scenario())


def test_a_call_that_fails_its_batch_is_sent_again_alone_and_fails_alone() -> None:
    async def scenario() -> None:
        statement = Statement(gone=2)
        batcher = _batcher(statement)
        answers = await asyncio.gather(
            *(batcher.run(REQUEST, call) for call in (1, 2, 3)), return_exceptions=True
        )
        assert answers[0] == 2
        assert isinstance(answers[1], IntegrityError)
        assert answers[2] == 6
        assert statement.sent == [[1, 2, 3], [1], [2], [3]]

    asyncio.run(scenario())


def test_a_call_cancelled_before_it_is_sent_is_not_sent() -> None:
    async def scenario() -> None:
        statement, batcher, first, waiting = await _one_running_one_waiting()
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert batcher.waiting == 0
        statement.gate.set()
        assert await first == 2
        assert await batcher.run(REQUEST, 3) == 6
        assert statement.sent == [[1], [3]]

    asyncio.run(scenario())


def test_the_call_whose_connection_runs_the_batch_waits_for_it_even_cancelled() -> None:
    async def scenario() -> None:
        statement = Statement()
        statement.gate = asyncio.Event()
        batcher = _batcher(statement)
        leader = asyncio.ensure_future(batcher.run(REQUEST, 1))
        follower = asyncio.ensure_future(batcher.run(REQUEST, 2))
        await asyncio.sleep(0.01)
        leader.cancel()
        follower.cancel()
        await asyncio.sleep(0.01)
        assert follower.done()  # its connection is not the batch's: it may go
        assert not leader.done()  # the batch runs on its connection
        statement.gate.set()
        with pytest.raises(asyncio.CancelledError):
            await leader
        assert statement.sent == [[1, 2]]

    asyncio.run(scenario())


def test_batches_of_another_event_loop_do_not_hold_this_ones_back() -> None:
    # A process's batcher outlives an event loop (tests, CLI commands): a batch still pending
    # on a loop that is no longer run must not count against the batches of the next.
    statement = Statement()
    gate = statement.gate = asyncio.Event()
    batcher = _batcher(statement, batches_at_once=1)
    first = asyncio.new_event_loop()
    try:
        stuck = first.create_task(batcher.run(REQUEST, 1))
        first.run_until_complete(asyncio.sleep(0.01))
        assert batcher.running == 1

        async def later() -> int:
            statement.gate = None  # this loop's statements answer at once
            return await batcher.run(REQUEST, 7)

        assert asyncio.run(later()) == 14
        assert statement.sent == [[1], [7]]
        # The first loop's batch ends when its loop runs again.
        first.call_soon(gate.set)
        assert first.run_until_complete(stuck) == 2
    finally:
        first.close()
