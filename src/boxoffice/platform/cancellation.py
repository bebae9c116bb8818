"""A cancel that a library call lost, honoured all the same by loops that outlive requests."""

from __future__ import annotations

import asyncio


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
