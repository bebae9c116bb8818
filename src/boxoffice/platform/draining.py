"""Draining: told to stop, the process ends its event streams at once, each with a reconnect hint.

On SIGTERM uvicorn stops accepting connections, lets every response in flight finish, and
cancels what is left only after `timeout_graceful_shutdown`; the lifespan's shutdown runs after
all that. An event stream is a response that never finishes by itself, so a rolling restart
would wait the whole timeout on every instance and then cut the fans' streams mid-air. The app
hears nothing of the signal before its lifespan ends, so `on_signals` puts a handler in front of
the server's own while the lifespan runs: it notes the signal in the event loop and hands it on
unchanged. Waits bounded by `timeout` then expire at once; the streams send their hint and end,
and the server's drain waits only for ordinary requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from types import FrameType
from typing import Any

__all__ = ["Draining"]

DRAIN_SIGNALS = (signal.SIGTERM, signal.SIGINT)
Handler = Callable[[int, FrameType | None], Any]


class Draining:
    """Whether this process is stopping; `timeout`s expire the moment it starts."""

    def __init__(self) -> None:
        self.started = False
        self._bounds: set[asyncio.Timeout] = set()

    def start(self) -> None:
        """Begin draining: waits under `timeout` expire now, and later ones at once."""
        self.started = True
        for bound in self._bounds:
            if not bound.expired():
                bound.reschedule(0)

    @contextlib.asynccontextmanager
    async def timeout(self, seconds: float) -> AsyncIterator[None]:
        """`asyncio.timeout(seconds)` that also expires (TimeoutError) when draining starts."""
        async with asyncio.timeout(0 if self.started else seconds) as bound:
            self._bounds.add(bound)
            try:
                yield
            finally:
                self._bounds.discard(bound)

    @contextlib.contextmanager
    def on_signals(self) -> Iterator[None]:
        """Within: SIGTERM and SIGINT start draining, then go on to the handler they had.

        Only a Python handler is wrapped: the server's (uvicorn sets its own before the
        lifespan starts). Without one the signal ends the process at once and there is no
        drain to hurry. Signals belong to the main thread; in any other nothing is hooked.
        """
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        hooked: dict[signal.Signals, tuple[Handler, Handler]] = {}
        for sent in DRAIN_SIGNALS:
            previous = signal.getsignal(sent)
            if callable(previous):
                hooked[sent] = (self._hook(sent, previous, loop), previous)
        try:
            yield
        finally:
            for sent, (ours, previous) in hooked.items():
                if signal.getsignal(sent) is ours:  # nobody hooked in front of us since
                    signal.signal(sent, previous)

    def _hook(
        self, sent: signal.Signals, handler: Handler, loop: asyncio.AbstractEventLoop
    ) -> Handler:
        def handle(signum: int, frame: FrameType | None) -> None:
            # A signal handler may run between any two bytecodes of the loop: hand the work to
            # the loop the thread-safe way, as asyncio does for its own signal handlers.
            loop.call_soon_threadsafe(self.start)
            handler(signum, frame)

        signal.signal(sent, handle)
        return handle
