"""FaultProxy: a TCP proxy of the suite's own between the instances and a dependency.

The instances are pointed at the proxy's port instead of the server's, and a scenario slows or
breaks the path while the sale runs: `set_latency` delays every chunk, `blackhole` holds every
byte (a partition: connections stay open, nothing arrives, and what was sent arrives on `heal`
as TCP would retransmit it), `cut` resets every connection and every new one. The proxy runs an
event loop of its own in a background thread, so a test's control calls take effect at once
whatever the test's own loop is doing.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Direction", "FaultProxy"]

Direction = Literal["upstream", "downstream", "both"]
_T = TypeVar("_T")
_CHUNK = 65536


@dataclass
class _Pipe:
    """One direction of one connection: chunks read, then written after the latency."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    chunks: asyncio.Queue[tuple[float, bytes] | None] = field(default_factory=asyncio.Queue)


class FaultProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port`; `heal()` undoes every fault."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0
        self.forwarded = {"upstream": 0, "downstream": 0}
        self._latency = {"upstream": 0.0, "downstream": 0.0}
        self._cut = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._links: set[asyncio.Task[None]] = set()
        self._flowing: dict[str, asyncio.Event] = {}

    @classmethod
    def in_front_of(cls, url: str) -> FaultProxy:
        """A started proxy to the host and port of `url` (any scheme)."""
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"no host and port in {url!r}")
        proxy = cls(parts.hostname, parts.port)
        proxy.start()
        return proxy

    def rewrite(self, url: str) -> str:
        """`url` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.port}" if userinfo else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    # control, from any thread
    def start(self) -> None:
        self._thread.start()
        self._call(self._listen)

    def set_latency(self, seconds: float, direction: Direction = "both") -> None:
        """Delay every chunk by `seconds` in `direction` (existing connections too)."""

        async def apply() -> None:
            for name in self._names(direction):
                self._latency[name] = seconds

        self._call(apply)

    def blackhole(self, direction: Direction = "both") -> None:
        """Forward nothing in `direction`; connections, new and old, stay open and hold data."""

        async def apply() -> None:
            for name in self._names(direction):
                self._flowing[name].clear()

        self._call(apply)

    def cut(self) -> None:
        """Reset every open connection and each new one until `heal()`."""

        async def apply() -> None:
            self._cut = True
            for writer in list(self._writers):
                writer.transport.abort()

        self._call(apply)

    def heal(self) -> None:
        """No latency, no blackhole, no cut: what was held is delivered now."""

        async def apply() -> None:
            self._cut = False
            for name in ("upstream", "downstream"):
                self._latency[name] = 0.0
                self._flowing[name].set()

        self._call(apply)

    @property
    def open_connections(self) -> int:
        # Two writers (client side, server side) per established connection.
        return len(self._writers)

    def close(self) -> None:
        """Stop listening, reset every connection, stop the thread."""
        if not self._thread.is_alive():
            return

        async def shut() -> None:
            if self._server is not None:
                self._server.close()
            for link in list(self._links):
                link.cancel()
            await asyncio.gather(*self._links, return_exceptions=True)

        self._call(shut)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    # inside the proxy's loop
    def _call(self, step: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
        return asyncio.run_coroutine_threadsafe(step(), self._loop).result(timeout=10)

    @staticmethod
    def _names(direction: Direction) -> tuple[str, ...]:
        return ("upstream", "downstream") if direction == "both" else (direction,)

    async def _listen(self) -> None:
        for name in ("upstream", "downstream"):
            self._flowing[name] = asyncio.Event()
            self._flowing[name].set()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self._cut:
            writer.transport.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        self._links.add(task)
        self._writers.add(writer)
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.TaskGroup() as pumps:
                to_server = asyncio.Queue[tuple[float, bytes] | None]()
                pumps.create_task(self._read(reader, to_server, "upstream"))
                # A partitioned network would not let the SYN through either: connect on flow.
                await self._flowing["upstream"].wait()
                if self._cut:
                    raise ConnectionResetError("cut while connecting")
                upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
                self._writers.add(upstream_writer)
                back = _Pipe(upstream_reader, writer)
                pumps.create_task(
                    self._write(_Pipe(reader, upstream_writer, to_server), "upstream")
                )
                pumps.create_task(self._read(upstream_reader, back.chunks, "downstream"))
                pumps.create_task(self._write(back, "downstream"))
        except* (OSError, asyncio.IncompleteReadError):
            pass  # either end went away: the other is reset below, as a broken path would be
        except* asyncio.CancelledError:
            pass  # `close()`: the link ends here (asyncio's server would log a re-raise)
        finally:
            self._links.discard(task)
            for end in (writer, upstream_writer):
                if end is not None:
                    self._writers.discard(end)
                    end.transport.abort()

    async def _read(
        self,
        reader: asyncio.StreamReader,
        chunks: asyncio.Queue[tuple[float, bytes] | None],
        direction: str,
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while data := await reader.read(_CHUNK):
                await chunks.put((loop.time() + self._latency[direction], data))
        except OSError:
            pass
        finally:
            await chunks.put(None)

    async def _write(self, pipe: _Pipe, direction: str) -> None:
        loop = asyncio.get_running_loop()
        while (item := await pipe.chunks.get()) is not None:
            deliver_at, data = item
            await asyncio.sleep(max(0.0, deliver_at - loop.time()))
            await self._flowing[direction].wait()
            pipe.writer.write(data)
            await pipe.writer.drain()
            self.forwarded[direction] += len(data)
        # The sender closed its side: pass the close on, so the other end sees it too.
        with contextlib.suppress(OSError):
            pipe.writer.close()
