"""The bare apps as servers of their own (`boxoffice serve-bare`): each started on a free port
with the servers' settings and worker count at its first measurement, driven like GET /healthz,
and kept up until the bench closes: the ceiling measures each once, then the isolated steps
measure each step's reference again right before and right after it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from boxoffice_rush.bare_apps import PATH, BareApp
from boxoffice_rush.ceiling import Ceiling, measure_rate
from boxoffice_rush.client import HttpClient
from boxoffice_rush.stats import Recorder

__all__ = [
    "BareBench",
    "BareFigure",
    "BareServer",
    "free_port",
    "measure_bare_apps",
    "unmeasurable",
]

START_SECONDS = 30.0
STOP_SECONDS = 10.0


@dataclass(frozen=True)
class BareFigure:
    app: BareApp
    ceiling: Ceiling | None
    note: str = ""  # why it was not measured


def unmeasurable(app: BareApp, server_env: Mapping[str, str]) -> str:
    """Why `app` cannot run beside servers with these settings, or "" if it can."""
    missing = []
    if app.uses_redis and not server_env.get("BOXOFFICE_REDIS_URL"):
        missing.append("Redis")
    database = server_env.get("BOXOFFICE_DATABASE_URL", "")
    if app.uses_postgres and not database.startswith("postgresql"):
        missing.append("PostgreSQL")
    if not missing:
        return ""
    return f"not measured: the servers' settings (--audit-env-file) name no {' or '.join(missing)}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class BareServer:
    """One bare app under uvicorn, in a process group of its own so that stopping it stops its
    workers too."""

    def __init__(self, app: BareApp, workers: int, env: Mapping[str, str], log_path: Path) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._command = [sys.executable, "-m", "boxoffice", "serve-bare", app.slug]
        self._command += ["--port", str(self.port), "--workers", str(workers)]
        self._env = {**os.environ, **env}
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server; `ready` says when it answers."""
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self._command,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def exited(self) -> bool:
        """Whether the server's process has ended."""
        return self._process is not None and self._process.poll() is not None

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of the server's output."""
        text = self._log_path.read_text(errors="replace") if self._log_path.exists() else ""
        return " / ".join(text.strip().splitlines()[-lines:])

    async def ready(self, client: HttpClient, seconds: float = START_SECONDS) -> str:
        """ "" once GET / answers 200; else why not (it exited, or did not answer in time)."""
        deadline = perf_counter() + seconds
        while perf_counter() < deadline:
            reply = await client.call(self.app.value, "GET", PATH, retries=0)
            if reply.status == 200:
                return ""
            if self.exited():
                return f"exited at start: {self.log_tail()}"
            await asyncio.sleep(0.2)
        return f"no answer after {seconds:g} s: {self.log_tail()}"

    def stop(self) -> None:
        """TERM the process group, KILL it if it is still there after STOP_SECONDS."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class BareBench:
    """The bare apps on servers of their own, each started at its first measurement and kept
    (idle) until `close`, so that the isolated steps can measure their reference app right
    before and right after each step (`isolated.py`): this host's speed drifts by a fifth
    within a minute, and a ratio of two rates taken minutes apart carries that drift."""

    def __init__(
        self, *, workers: int, server_env: Mapping[str, str], loops: int, seconds: float, logs: Path
    ) -> None:
        self._workers = workers
        self._env = dict(server_env)
        self._loops = loops
        self._seconds = seconds
        self._logs = logs
        self._running: dict[BareApp, tuple[BareServer, HttpClient]] = {}
        self._failed: dict[BareApp, str] = {}

    async def measure(self, app: BareApp) -> BareFigure:
        """`app`'s req/s, driven like GET /healthz for the bench's seconds after a warm-up; or
        why it cannot be measured (the servers' settings lack what it needs, it did not start
        or it has exited since)."""
        reason = self.unmeasurable(app)
        if reason:
            return BareFigure(app, None, reason)
        running = self._running.get(app) or await self._start(app)
        if running is None:
            return BareFigure(app, None, self._failed[app])
        server, client = running
        if server.exited():
            self._failed[app] = f"not measured: exited: {server.log_tail()}"
            await self._stop(app)
            return BareFigure(app, None, self._failed[app])
        figure = await measure_rate([client], self._loops, self._seconds, app.value, PATH)
        return BareFigure(app, figure)

    def unmeasurable(self, app: BareApp) -> str:
        """Why `app` cannot be measured on this bench, or "" if it can."""
        return unmeasurable(app, self._env) or self._failed.get(app, "")

    async def _start(self, app: BareApp) -> tuple[BareServer, HttpClient] | None:
        server = BareServer(app, self._workers, self._env, self._logs / f"bare-{app.slug}.log")
        client = HttpClient(server.url, self._loops, Recorder(perf_counter()))
        self._running[app] = (server, client)
        server.start()
        problem = await server.ready(client)
        if not problem:
            return server, client
        self._failed[app] = f"not measured: {problem}"
        await self._stop(app)
        return None

    async def _stop(self, app: BareApp) -> None:
        server, client = self._running.pop(app)
        try:
            await client.close()
        finally:
            server.stop()

    async def close(self) -> None:
        """Stop every server still running."""
        for app in list(self._running):
            await self._stop(app)

    async def __aenter__(self) -> BareBench:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


async def measure_bare_apps(bench: BareBench, say: Callable[[str], None]) -> list[BareFigure]:
    """Each bare app, one after another (those the servers' settings allow measured, the
    others with the reason why not); their servers stay up in `bench`."""
    figures = []
    for app in BareApp:
        if not bench.unmeasurable(app):
            say(f"bare app, {app}")
        figures.append(await bench.measure(app))
    return figures
