"""One statement for many requests: `StatementBatcher` sends the calls of a server function that
this process is asked for together as one statement, each call in turn.

PostgreSQL then parses, plans and commits once for all of them, and this process pays the
driver's cost of a statement once: in the rush, the database's work per hold and per payment
was the sale's bound (docs/benchmarks.md). The adapter gives the statement (`send`: every call
of a batch, in order, one answer each) and the order in which a batch takes its calls; the rules
stay in the server function, which a batch only calls.

A batch runs on the connection of its first request (no connection beyond the requests' own),
checked out for it as the batch is sent (a unit of work's connection is checked out at its
first statement, platform/database.py); the other requests of the batch take none. A request
that has its connection already (it read something first) sends its call alone on it, at once:
waiting for a batch with a connection in hand, as many such requests as the pool has
connections would hold them all while their batches wait for one. The first request waits for
the whole batch, even when it is cancelled. A request cancelled before its batch is sent is
taken out of it; one cancelled after may still have its call go through, as a call whose answer
was lost does. If a batch fails on one call's data (`IntegrityError`: an account that is gone),
each of its calls is sent again alone, to answer each as it would have been answered alone; any
other failure is every call's answer.

A batch holds the locks of its earlier calls while a later one waits for a lock, which one
call alone never did. The adapters order their calls so that batches wait for each other in
one direction only (fans in id order). Calls that must not share a batch are kept `apart`:
a batch takes at most one call of a key (a fan's payments: each locks its reservation, then the
fan's wallet, so a batch with two of them would hold the wallet while waiting for the second
reservation, which a batch paying that one alone may hold while it waits for the wallet), and
none while a running batch has one; they go in later batches, in `order`. What is left is one
case at an instant: a hold taking a seat whose old hold runs out just as that old hold is being
paid, in two batches that each wait for the other's fan. PostgreSQL ends one of them after
`deadlock_timeout` (1 s), and its requests answer 503 `BUSY`, which a client retries.

Up to `batches_at_once` batches run at once; while they do, the calls that arrive wait for the
next batch (the busier the process, the larger the batches, up to `most`). A lone call goes at
once, on the next turn of the event loop, with whatever arrived in the same turn.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.platform import metrics

__all__ = ["RequestConnection", "StatementBatcher"]

Call = TypeVar("Call")
Answer = TypeVar("Answer")

BATCHES_AT_ONCE = 2
MOST_IN_A_BATCH = 64


class RequestConnection(Protocol):
    """A request's connection, checked out when first asked for (`OnDemandConnection`)."""

    @property
    def checked_out(self) -> bool: ...

    async def connection(self) -> AsyncConnection: ...


@dataclass(eq=False, slots=True)
class _Asked(Generic[Call, Answer]):
    """One call asked for, and the connection of the request that asked."""

    call: Call
    connection: RequestConnection
    answer: asyncio.Future[Answer]
    batch: asyncio.Task[None] | None = None  # set when it is sent
    leads: bool = False  # this request's connection runs the batch


class StatementBatcher(Generic[Call, Answer]):
    def __init__(
        self,
        statement: str,
        send: Callable[[AsyncConnection, Sequence[Call]], Awaitable[list[Answer]]],
        order: Callable[[Call], Any],
        *,
        apart: Callable[[Call], Hashable] | None = None,
        batches_at_once: int = BATCHES_AT_ONCE,
        most: int = MOST_IN_A_BATCH,
    ) -> None:
        """`send`: every call of a batch as one statement, answers in the calls' order;
        `order`: a batch takes its calls sorted by it (stable), e.g. to lock rows in one order
        in every batch; `apart`: calls of one key never go in one batch, nor in batches that
        run at once (module docstring); `statement`: the metric's label."""
        self._sizes = metrics.BATCH_SIZE.labels(statement)
        self._send = send
        self._order = order
        self._apart = apart
        self._keys: dict[asyncio.Task[None], set[Hashable]] = {}  # a running batch's `apart` keys
        self._batches_at_once = batches_at_once
        self._most = most
        self._waiting: list[_Asked[Call, Answer]] = []
        self._running: set[asyncio.Task[None]] = set()
        # The loop a start is due on: one that closed before the start ran never runs it.
        self._starting: asyncio.AbstractEventLoop | None = None

    @property
    def waiting(self) -> int:
        """Calls waiting for a batch."""
        return len(self._waiting)

    @property
    def running(self) -> int:
        """Batches being run."""
        return len(self._running)

    async def run(self, connection: RequestConnection, call: Call) -> Answer:
        """`call`'s answer, sent with the calls asked for at the same time; `connection` is the
        request's own, which runs the batch if the request is its first. Sent alone on it if it
        is checked out already."""
        if connection.checked_out:
            self._sizes.observe(1)
            (answer,) = await self._send(await connection.connection(), [call])
            return answer
        loop = asyncio.get_running_loop()
        asked: _Asked[Call, Answer] = _Asked(call, connection, loop.create_future())
        self._waiting.append(asked)
        self._start_soon(loop)
        try:
            try:
                return await asyncio.shield(asked.answer)
            finally:
                if asked.leads and asked.batch is not None and asked.answer.done():
                    # Answered, its call's answer or its failure, but the batch may still be
                    # using this request's connection (the calls sent again one by one after
                    # the batch failed): the request keeps it until the batch is done.
                    await asyncio.shield(asked.batch)
        except asyncio.CancelledError:
            asked.answer.add_done_callback(_answered)
            if asked.batch is None:  # not sent, and now never will be
                self._waiting.remove(asked)
            elif asked.leads:
                # The batch runs on this request's connection: it must not go back to the pool
                # (on the way out of the unit of work) until the batch is done.
                await _finished(asked.batch)
            raise

    def _start_soon(self, loop: asyncio.AbstractEventLoop) -> None:
        # On the next turn, so the calls that arrive in this one go together.
        if self._starting is not loop and self._room(loop):
            self._starting = loop
            loop.call_soon(self._start)

    def _room(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether another batch may start (batches of a loop that closed are forgotten)."""
        self._running = {task for task in self._running if task.get_loop() is loop}
        return len(self._running) < self._batches_at_once

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._starting = None
        # Calls of a loop that closed without ending them have nobody to answer.
        self._waiting = [asked for asked in self._waiting if asked.answer.get_loop() is loop]
        while self._waiting and self._room(loop):
            taken, keys = self._take()
            if not taken:  # every call waiting is kept apart from a running batch
                break
            batch = sorted(taken, key=lambda a: self._order(a.call))
            task = loop.create_task(self._run(batch))
            if keys:
                self._keys[task] = keys
            for asked in batch:
                asked.batch = task
            batch[0].leads = True
            self._running.add(task)
            task.add_done_callback(self._ended)

    def _take(self) -> tuple[list[_Asked[Call, Answer]], set[Hashable]]:
        """The next batch's calls, taken out of the waiting ones: the first `most` that arrived;
        with `apart`, the first `most` keys not in a running batch, each key's first call in
        `order`. Also the keys taken."""
        if self._apart is None:
            taken = self._waiting[: self._most]
            del self._waiting[: self._most]
            return taken, set()
        # The running batches' keys (those of a loop that closed are forgotten with them).
        self._keys = {task: keys for task, keys in self._keys.items() if task in self._running}
        busy = set().union(*self._keys.values())
        first: dict[Hashable, _Asked[Call, Answer]] = {}
        for asked in self._waiting:
            key = self._apart(asked.call)
            if key in busy:
                continue
            held = first.get(key)
            if held is None:
                if len(first) < self._most:
                    first[key] = asked
            elif self._order(asked.call) < self._order(held.call):
                first[key] = asked
        taken = list(first.values())
        chosen = set(taken)
        self._waiting = [asked for asked in self._waiting if asked not in chosen]
        return taken, set(first)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._keys.pop(task, None)
        if self._waiting:
            self._start_soon(asyncio.get_running_loop())

    async def _run(self, batch: list[_Asked[Call, Answer]]) -> None:
        try:
            connection = await batch[0].connection.connection()
            await self._answer(connection, batch)
        except IntegrityError as error:
            if len(batch) == 1:
                _fail(batch, error)
                return
            for asked in batch:  # one call's data failed them all: each alone, in turn
                try:
                    await self._answer(connection, [asked])
                except BaseException as alone:
                    if not isinstance(alone, Exception):
                        _fail(batch, alone)  # cancelled: the rest will not be sent either
                        raise
                    _fail([asked], alone)
        except BaseException as error:
            _fail(batch, error)
            if not isinstance(error, Exception):
                raise

    async def _answer(self, connection: AsyncConnection, batch: list[_Asked[Call, Answer]]) -> None:
        self._sizes.observe(len(batch))
        answers = await self._send(connection, [asked.call for asked in batch])
        for asked, answer in zip(batch, answers, strict=True):
            if not asked.answer.done():
                asked.answer.set_result(answer)


def _answered(answer: asyncio.Future[Any]) -> None:
    """Read an answer nobody waits for any more, so asyncio does not report it as lost."""
    if not answer.cancelled():
        answer.exception()


def _fail(batch: Sequence[_Asked[Any, Any]], error: BaseException) -> None:
    for asked in batch:
        if not asked.answer.done():
            if isinstance(error, asyncio.CancelledError):
                asked.answer.cancel()
            else:
                asked.answer.set_exception(error)


async def _finished(task: asyncio.Task[None]) -> None:
    """Wait for `task` (a batch: it answers its failures, raising none) to end, however often
    the waiting is cancelled."""
    while not task.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(task)
