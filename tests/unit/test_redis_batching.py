"""ScriptBatcher on a fake client: what goes in one pipeline, and who gets which answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

from boxoffice.platform.redis_batching import ScriptBatcher


class FakeScript:
    """A script whose answer is computed from its args; counts the calls made to it alone."""

    def __init__(self, name: str) -> None:
        self.script = f"-- {name}"
        self.sha = f"sha-{name}"
        self.alone: list[tuple[Any, ...]] = []

    async def __call__(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        self.alone.append((*keys, *args))
        return _answer(self.sha, list(keys), list(args))


def _answer(sha: str, keys: list[Any], args: list[Any]) -> Any:
    if args and args[0] == "fail":
        return ResponseError("script failed")
    return f"{sha}:{','.join(map(str, [*keys, *args]))}"


class FakePipeline:
    def __init__(self, client: FakeClient) -> None:
        self._client = client
        self._stack: list[tuple[str, list[Any], list[Any]]] = []

    async def __aenter__(self) -> FakePipeline:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: Any) -> None:
        keys, args = list(keys_and_args[:numkeys]), list(keys_and_args[numkeys:])
        self._stack.append((sha, keys, args))

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        assert raise_on_error is False
        await asyncio.sleep(0)  # a round trip
        if self._client.broken:
            raise RedisConnectionError("connection lost")
        self._client.pipelines.append([(sha, *keys, *args) for sha, keys, args in self._stack])
        answers: list[Any] = []
        for sha, keys, args in self._stack:
            if sha not in self._client.loaded:
                answers.append(NoScriptError("No matching script."))
            else:
                answers.append(_answer(sha, keys, args))
        return answers


class FakeClient:
    def __init__(self, loaded: set[str]) -> None:
        self.loaded = loaded
        self.pipelines: list[list[tuple[Any, ...]]] = []
        self.broken = False
        self.broken_after_first = False  # Redis lost after answering the first pipeline

    def pipeline(self, transaction: bool = True) -> FakePipeline:
        assert transaction is False
        return FakePipeline(self)

    async def script_load(self, source: str) -> str:
        if self.broken_after_first:
            raise RedisConnectionError("connection lost")
        sha = "sha-" + source.removeprefix("-- ")
        self.loaded.add(sha)
        return sha


def _batcher(client: FakeClient, most: int = 64) -> ScriptBatcher:
    return ScriptBatcher(client, most=most)  # type: ignore[arg-type]


def _ask(batcher: ScriptBatcher, script: FakeScript, arg: Any) -> Awaitable[Any]:
    return batcher.call(script, ["k"], [arg])  # type: ignore[arg-type]


async def _together(*calls: Awaitable[Any], return_exceptions: bool = False) -> list[Any]:
    """The calls' answers, asked for in one turn; bounded, so a call never answered fails."""
    async with asyncio.timeout(5):
        return await asyncio.gather(*calls, return_exceptions=return_exceptions)


async def test_calls_asked_together_go_in_one_pipeline_in_order_each_with_its_answer() -> None:
    poll, join = FakeScript("poll"), FakeScript("join")
    client = FakeClient({poll.sha, join.sha})
    batcher = _batcher(client)
    answers = await _together(
        _ask(batcher, poll, 1),
        _ask(batcher, join, 2),
        _ask(batcher, poll, 3),
    )
    assert answers == ["sha-poll:k,1", "sha-join:k,2", "sha-poll:k,3"]
    assert client.pipelines == [[("sha-poll", "k", 1), ("sha-join", "k", 2), ("sha-poll", "k", 3)]]
    assert poll.alone == join.alone == []


async def test_a_call_alone_is_sent_as_a_plain_script_call() -> None:
    poll = FakeScript("poll")
    client = FakeClient({poll.sha})
    batcher = _batcher(client)
    assert await _ask(batcher, poll, 1) == "sha-poll:k,1"
    assert await _ask(batcher, poll, 2) == "sha-poll:k,2"
    assert poll.alone == [("k", 1), ("k", 2)]
    assert client.pipelines == []


async def test_one_call_failing_fails_only_that_call() -> None:
    poll = FakeScript("poll")
    batcher = _batcher(FakeClient({poll.sha}))
    answers = await _together(
        _ask(batcher, poll, 1),
        _ask(batcher, poll, "fail"),
        _ask(batcher, poll, 3),
        return_exceptions=True,
    )
    assert answers[0] == "sha-poll:k,1"
    assert isinstance(answers[1], ResponseError)
    assert answers[2] == "sha-poll:k,3"


async def test_a_script_redis_forgot_is_loaded_and_its_calls_sent_again() -> None:
    poll, join = FakeScript("poll"), FakeScript("join")
    client = FakeClient({poll.sha})  # join was never loaded (or Redis restarted)
    batcher = _batcher(client)
    answers = await _together(
        _ask(batcher, join, 1),
        _ask(batcher, poll, 2),
        _ask(batcher, join, 3),
    )
    assert answers == ["sha-join:k,1", "sha-poll:k,2", "sha-join:k,3"]
    assert client.pipelines[1] == [("sha-join", "k", 1), ("sha-join", "k", 3)]
    assert join.sha in client.loaded


async def test_a_forgotten_script_that_cannot_be_loaded_fails_only_its_calls() -> None:
    poll, join = FakeScript("poll"), FakeScript("join")
    client = FakeClient({poll.sha})
    client.broken_after_first = True
    batcher = _batcher(client)
    answers = await _together(
        _ask(batcher, join, 1),
        _ask(batcher, poll, 2),
        return_exceptions=True,
    )
    # The poll ran: its answer stands; the join never did.
    assert isinstance(answers[0], RedisConnectionError)
    assert answers[1] == "sha-poll:k,2"


async def test_a_lost_round_trip_is_every_call_s_answer() -> None:
    poll = FakeScript("poll")
    client = FakeClient({poll.sha})
    client.broken = True
    batcher = _batcher(client)
    answers = await _together(
        *(_ask(batcher, poll, n) for n in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(answer, RedisConnectionError) for answer in answers)


async def test_a_call_cancelled_before_its_batch_is_sent_is_not_sent() -> None:
    poll = FakeScript("poll")
    client = FakeClient({poll.sha})
    batcher = _batcher(client)
    kept = [asyncio.ensure_future(_ask(batcher, poll, n)) for n in (1, 2)]
    dropped = asyncio.ensure_future(_ask(batcher, poll, 3))
    await asyncio.sleep(0)  # every call asked, none sent yet
    dropped.cancel()
    assert await _together(*kept) == ["sha-poll:k,1", "sha-poll:k,2"]
    assert client.pipelines == [[("sha-poll", "k", 1), ("sha-poll", "k", 2)]]
    with pytest.raises(asyncio.CancelledError):
        await dropped


async def test_a_call_cancelled_after_its_batch_is_sent_leaves_the_others_answered() -> None:
    poll = FakeScript("poll")
    client = FakeClient({poll.sha})
    batcher = _batcher(client)
    calls = [asyncio.ensure_future(_ask(batcher, poll, n)) for n in (1, 2)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # sent, the round trip under way
    assert client.pipelines == []
    calls[0].cancel()
    assert await _together(calls[1]) == ["sha-poll:k,2"]
    assert client.pipelines == [[("sha-poll", "k", 1), ("sha-poll", "k", 2)]]


async def test_no_batch_is_larger_than_most() -> None:
    poll = FakeScript("poll")
    client = FakeClient({poll.sha})
    batcher = _batcher(client, most=3)
    answers = await _together(*(_ask(batcher, poll, n) for n in range(7)))
    assert answers == [f"sha-poll:k,{n}" for n in range(7)]
    assert [len(sent) for sent in client.pipelines] == [3, 3]
    assert poll.alone == [("k", 6)]  # the last one, alone
