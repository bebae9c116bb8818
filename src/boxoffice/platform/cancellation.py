"""Cancels: one that a library call lost, honoured all the same by loops that outlive requests;
and work that goes on to its end when its request is cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import structlog

from boxoffice.platform.errors import DomainError

T = TypeVar("T")
_log = structlog.get_logger(__name__)


def stop_if_cancelled() -> None:
    """Raise the cancellation a call inside a loop lost, so the loop stops all the same.

    redis-py sends each command under Python 3.11's `asyncio.wait_for`, which returns the
    send's result, dropping the CancelledError, when the cancel lands in the turn the send
    completes; the task still counts the request (`Task.cancelling`). A background loop that
    went on would hold the lifespan's shutdown, which waits for it, until the process is killed.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


_FINISHING: set[asyncio.Task[Any]] = set()  # referenced until done (asyncio holds tasks weakly)


async def finished_even_if_cut(work: Coroutine[Any, Any, T]) -> T:
    """`work`'s answer; if the caller is cancelled meanwhile (a request's deadline, or its
    client gone), `work` still runs to its end, in a task of its own, and the cancel goes on up.

    For work whose effects after a commit must follow the commit whatever became of the request:
    a payment that went through uses up its pass and is counted, though its answer is a 503
    (the client retries with its Idempotency-Key and gets the first answer). The task costs
    about 10 µs of CPU (`asyncio.shield` of a new task, uvloop, this kind of machine). A server
    that stops waits for such work (`finish_all`) before it closes its connections.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        _FINISHING.add(task)
        task.add_done_callback(_finished)
        raise


def _finished(task: asyncio.Task[Any]) -> None:
    _FINISHING.discard(task)
    error = None if task.cancelled() else task.exception()
    # A refusal (not enough money, say) is an answer nobody waits for any more, not a failure.
    if error is not None and not isinstance(error, DomainError):
        _log.warning("work_after_cancel_failed", error=repr(error))


async def finish_all(seconds: float) -> int:
    """Wait up to `seconds` for the work still going on after its request was cancelled
    (`finished_even_if_cut`), as a server stops: how much did not finish. Its own calls are
    bounded (each database and Redis call has its deadline), so it ends soon either way."""
    if not _FINISHING:
        return 0
    _, running = await asyncio.wait(set(_FINISHING), timeout=seconds)
    return len(running)
