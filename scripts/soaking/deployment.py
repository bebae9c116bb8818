"""The soaked deployment: a PostgreSQL and a Redis of its own, and `boxoffice serve --workers N`.

The servers are the fault suite's (tests/faults: `initdb` on a free port, a redis-server on
another), so the soak never touches the machine's shared PostgreSQL (5432) or Redis (6379).
Everything listens on 127.0.0.1 only. `processes()` names every process worth watching, found
again at each sample, so a worker that died and was replaced shows as a new pid.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from scripts.soaking.procs import children, command_line

from tests.faults.own_postgres import OwnPostgres
from tests.faults.own_redis import OwnRedis
from tests.servers import free_port

__all__ = ["Deployment"]

READY_SECONDS = 60
STOP_SECONDS = 20
BOXOFFICE = [sys.executable, "-m", "boxoffice"]


class Deployment:
    """`settings` are BOXOFFICE_* values (without the prefix) beside the servers' URLs."""

    def __init__(self, folder: Path, workers: int, settings: dict[str, str]) -> None:
        self.folder = folder
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.admin_key = secrets.token_urlsafe(32)
        self.postgres = OwnPostgres()
        self.redis = OwnRedis(persistent=True)  # AOF fsynced every second, as production runs it
        self.log = folder / "serve.log"
        self._settings = settings
        self._serve: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        metrics = self.folder / "metrics"  # each worker's metric files, added up by /metrics
        metrics.mkdir(exist_ok=True)
        return {
            **os.environ,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            "BOXOFFICE_DATABASE_URL": self.postgres.url,
            "BOXOFFICE_REDIS_URL": self.redis.url,
            "BOXOFFICE_ADMIN_KEY": self.admin_key,
            "BOXOFFICE_SECRET_KEY": secrets.token_urlsafe(32),
            **{f"BOXOFFICE_{name.upper()}": value for name, value in self._settings.items()},
        }

    def start(self) -> None:
        """Start both servers, migrate, serve, and wait until /readyz answers 200."""
        self.postgres.start()
        self.redis.start()
        env = self.environment()
        migrated = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [*BOXOFFICE, "migrate"], env=env, capture_output=True, text=True, timeout=120
        )
        if migrated.returncode != 0:
            raise RuntimeError(f"boxoffice migrate failed:\n{migrated.stdout}{migrated.stderr}")
        command = [*BOXOFFICE, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as log:
            # A session of its own: stopping it stops its workers, never the soak itself.
            self._serve = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [*command, "--workers", str(self.workers)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if not self.serving():
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"boxoffice serve not ready within {READY_SECONDS} s:\n{tail}")

    def serving(self) -> bool:
        return self._serve is not None and self._serve.poll() is None

    def processes(self) -> dict[str, list[int]]:
        """Pids by role: the serve master, each worker, Redis, PostgreSQL's client backends,
        and its own server processes (the postmaster and background ones)."""
        roles: dict[str, list[int]] = {}
        if self.serving():
            assert self._serve is not None
            master = self._serve.pid
            roles["serve master"] = [master]
            workers = [p for p in children(master) if "spawn_main" in command_line(p)]
            for index, pid in enumerate(workers, 1):
                roles[f"worker {index}"] = [pid]
        redis = [p for p in children(os.getpid()) if "redis-server" in command_line(p)]
        roles["redis"] = redis[:1]
        postmaster = self._postmaster()
        if postmaster is not None:
            backends: list[int] = []
            server = [postmaster]
            for pid in children(postmaster):
                command = command_line(pid)
                if "autovacuum worker" in command:
                    continue  # comes and goes with the tables' churn: not held, so not watched
                (backends if "postgres boxoffice" in command else server).append(pid)
            roles["postgres backends"] = backends
            roles["postgres server"] = server
        return roles

    def _postmaster(self) -> int | None:
        try:
            return int((self.postgres.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def write_end_state(self, path: Path) -> None:
        """The servers' own view of their clients once the load ends, for reading a growth:
        Redis's CLIENT LIST (age and idle seconds of each connection) and PostgreSQL's
        backends (when each connected, its state, its last query)."""
        redis = self.redis.client()
        try:
            clients = redis.client_list()
        finally:
            redis.close()
        fields = ("addr", "age", "idle", "cmd")
        text = "\n".join(" ".join(f"{k}={c.get(k)}" for k in fields) for c in clients)
        backends = self.postgres.sql(
            "SELECT pid, backend_start, state, left(query, 80) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
            " ORDER BY backend_start",
            database="postgres",
        )
        path.write_text(f"# Redis CLIENT LIST\n{text}\n# PostgreSQL client backends\n{backends}\n")

    def server_errors_logged(self) -> list[str]:
        """Lines of the serve log that report an unhandled error."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if "Traceback" in line]

    def close(self) -> None:
        """Stop serve (SIGTERM, then SIGKILL), then Redis and PostgreSQL; remove their data."""
        serve = self._serve
        if serve is not None and serve.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(serve.pid, signal.SIGTERM)
            try:
                serve.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()
        self._keep_server_logs()
        self.redis.close()
        self.postgres.close()

    def _keep_server_logs(self) -> None:
        for source, name in ((self.postgres.log, "postgres.log"), (self.redis.log, "redis.log")):
            with contextlib.suppress(OSError):
                (self.folder / name).write_bytes(source.read_bytes())
