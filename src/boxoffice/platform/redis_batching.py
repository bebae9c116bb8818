"""One round trip for many requests' Lua scripts: `ScriptBatcher` sends the script calls this
process is asked for in the same turn of the event loop to Redis as one pipeline.

redis-py spends most of a lone EVALSHA's client time around the command, not on it: checking a
connection out of the pool and back, its retry and observability wrappers, one write and one
read wake-up per command (`scripts/profiling/redis_script_calls.py`: 66-70 µs of client CPU
for one call alone on this kind of machine, 27-34 µs each in a pipeline of 4-8). A rush brings
status polls, joins and pass checks by the dozen to every process at once, so the calls that
reach Redis in one turn of the loop go as one pipeline (not a transaction: each script is atomic
on its own, and Redis runs them one after the other, in the order they were asked for, just as
it runs calls that arrive together on separate connections). A call alone goes as it would
without the batcher, one turn of the loop later.

Each call gets its own answer or its own error (`raise_on_error=False`). A script Redis no longer
knows (`NOSCRIPT`, after a restart or a `SCRIPT FLUSH`) is loaded and its calls sent again, as
redis-py's own script objects do (the calls that ran are answered first: a failure to load or
send again is only the others' answer). A failure of the round trip itself (a connection lost, a
timeout) is every call's answer, after the one retry at once that the client makes for a lost
connection: a call whose answer was lost may have run, as with a call made alone.
A request cancelled before its batch is sent is taken out of it; one cancelled after leaves the
batch running: its script may still run, and its answer is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from boxoffice.platform import metrics

__all__ = ["ScriptBatcher"]

MOST_IN_A_BATCH = 64
_SIZES = metrics.BATCH_SIZE.labels("redis_scripts")
_Key = str | bytes
_Arg = str | bytes | int | float


@dataclass(eq=False, slots=True)
class _Call:
    script: AsyncScript
    keys: Sequence[_Key]
    args: Sequence[_Arg]
    answer: asyncio.Future[Any] = field(repr=False)


class ScriptBatcher:
    """Lua script calls on one Redis client, sent together when asked for together."""

    def __init__(self, client: Redis, *, most: int = MOST_IN_A_BATCH) -> None:
        self._client = client
        self._most = most
        # Per event loop, so that a client used from several loops (tests) answers each its own.
        self._asked: dict[asyncio.AbstractEventLoop, list[_Call]] = {}
        self._sending: set[asyncio.Task[None]] = set()  # kept, or asyncio may drop them

    async def call(self, script: AsyncScript, keys: Sequence[_Key], args: Sequence[_Arg]) -> Any:
        """`script`'s answer to `keys` and `args`, sent with the calls asked for meanwhile."""
        loop = asyncio.get_running_loop()
        asked = self._asked.get(loop)
        if asked is None:
            asked = self._asked[loop] = []
            loop.call_soon(self._send_asked, loop)
        answer: asyncio.Future[Any] = loop.create_future()
        asked.append(_Call(script, keys, args, answer))
        return await answer

    def _send_asked(self, loop: asyncio.AbstractEventLoop) -> None:
        # A call whose request was cancelled before it was sent is never sent.
        asked = [call for call in self._asked.pop(loop, []) if not call.answer.done()]
        for start in range(0, len(asked), self._most):
            batch = asked[start : start + self._most]
            task = loop.create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sent)

    async def _send(self, batch: list[_Call]) -> None:
        _SIZES.observe(len(batch))
        try:
            if len(batch) == 1:
                call = batch[0]
                answers = [await call.script(keys=call.keys, args=call.args)]
            else:
                answers = await self._answers(batch)
        except BaseException as error:
            _fail(batch, error)
            if not isinstance(error, Exception):
                raise
            return
        for call, answer in zip(batch, answers, strict=True):
            _answer(call, answer)

    async def _answers(self, batch: list[_Call]) -> list[Any]:
        """Every call's answer (or error) from one pipeline, or from a second one for the
        calls of scripts Redis no longer knew, loaded again in between."""
        answers = await self._pipeline(batch)
        unknown = [i for i, answer in enumerate(answers) if isinstance(answer, NoScriptError)]
        if unknown:
            # The calls that ran are answered now: a failure from here on is the others' alone.
            for call, answer in zip(batch, answers, strict=True):
                if not isinstance(answer, NoScriptError):
                    _answer(call, answer)
            for script in {batch[i].script for i in unknown}:
                await self._client.script_load(script.script)
            again = await self._pipeline([batch[i] for i in unknown])
            for i, answer in zip(unknown, again, strict=True):
                answers[i] = answer
        return answers

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled():
            task.exception()  # None: _send answers every failure to its calls

    async def _pipeline(self, batch: Sequence[_Call]) -> list[Any]:
        async with self._client.pipeline(transaction=False) as pipe:
            for call in batch:
                pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)
            return list(await pipe.execute(raise_on_error=False))


def _fail(batch: list[_Call], error: BaseException) -> None:
    for call in batch:
        if call.answer.done():
            continue
        if isinstance(error, asyncio.CancelledError):
            call.answer.cancel()
        else:
            call.answer.set_exception(error)


def _answer(call: _Call, answer: Any) -> None:
    if call.answer.done():  # its request was cancelled
        return
    if isinstance(answer, Exception):
        call.answer.set_exception(answer)
    else:
        call.answer.set_result(answer)
