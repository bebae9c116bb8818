"""The ceiling's bare apps as servers of their own (`boxoffice serve-bare`): each started on a
free port with the servers' settings and worker count, driven like GET /healthz, then stopped
before the next."""

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

__all__ = ["BareFigure", "BareServer", "free_port", "measure_bare_apps", "unmeasurable"]

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


async def _measure_one(
    app: BareApp, workers: int, env: Mapping[str, str], loops: int, seconds: float, logs: Path
) -> BareFigure:
    server = BareServer(app, workers, env, logs / f"bare-{app.slug}.log")
    client = HttpClient(server.url, loops, Recorder(perf_counter()))
    server.start()
    try:
        problem = await server.ready(client)
        if problem:
            return BareFigure(app, None, f"not measured: {problem}")
        figure = await measure_rate([client], loops, seconds, app.value, PATH)
        return BareFigure(app, figure)
    finally:
        await client.close()
        server.stop()


async def measure_bare_apps(
    *,
    workers: int,
    server_env: Mapping[str, str],
    loops: int,
    seconds: float,
    logs: Path,
    say: Callable[[str], None],
) -> list[BareFigure]:
    """Each bare app the servers' settings allow, one after another, for `seconds` each."""
    figures = []
    for app in BareApp:
        reason = unmeasurable(app, server_env)
        if reason:
            figures.append(BareFigure(app, None, reason))
            continue
        say(f"bare app, {app}: {workers} worker(s), {seconds:g} s")
        figures.append(await _measure_one(app, workers, server_env, loops, seconds, logs))
    return figures
