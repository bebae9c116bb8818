"""Instances: N `boxoffice serve` processes on the suite's own PostgreSQL and Redis.

Each instance keeps its port for life, so a killed one comes back where clients expect it. The
instances may reach their dependencies through a FaultProxy (`serve_database_url`,
`serve_redis_url`), while the CLI (`migrate`, `audit`) always goes straight to the servers: the
audit must judge the data, not the fault.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.servers import free_port

__all__ = ["Instances"]

READY_SECONDS = 30
BOXOFFICE = [sys.executable, "-m", "boxoffice"]


def _environment(database_url: str, redis_url: str, **settings: Any) -> dict[str, str]:
    """What every process of one deployment shares: keys, room, and the knobs of a test sale."""
    return {
        **os.environ,
        "BOXOFFICE_DATABASE_URL": database_url,
        "BOXOFFICE_REDIS_URL": redis_url,
        "BOXOFFICE_QUEUE_ROOM": f"faults-{uuid.uuid4().hex[:12]}",
        "BOXOFFICE_SECRET_KEY": secrets.token_urlsafe(32),
        "BOXOFFICE_ADMIN_KEY": secrets.token_urlsafe(32),
        # argon2id still, but cheap: a few hundred fans sign up on two cores.
        "BOXOFFICE_PASSWORD_TIME_COST": "1",
        "BOXOFFICE_PASSWORD_MEMORY_KIB": "64",
        "BOXOFFICE_ADMISSION_INTERVAL_SECONDS": "0.1",
        # Every fan of the suite comes from 127.0.0.1: no per-IP limit.
        "BOXOFFICE_QUEUE_LIMIT_PER_IP": "0",
        "BOXOFFICE_SIGNUP_LIMIT_PER_IP": "0",
        "BOXOFFICE_LOGIN_LIMIT_PER_IP": "0",
        "BOXOFFICE_QUEUE_MAX_ACTIVE": "100",
        "BOXOFFICE_QUEUE_ADMIT_PER_MINUTE": "60000",
        "BOXOFFICE_DB_POOL_SIZE": "8",
        "BOXOFFICE_DB_MAX_OVERFLOW": "4",
        "BOXOFFICE_LOG_LEVEL": "WARNING",
        **{f"BOXOFFICE_{name.upper()}": str(value) for name, value in settings.items()},
    }


class Instances:
    """`count` instances; `settings` are extra BOXOFFICE_* knobs (`hold_seconds=60`, ...)."""

    def __init__(
        self,
        count: int,
        database_url: str,
        redis_url: str,
        log_folder: Path,
        *,
        serve_database_url: str | None = None,
        serve_redis_url: str | None = None,
        **settings: Any,
    ) -> None:
        self.env = _environment(database_url, redis_url, **settings)
        self.serve_env = {
            **self.env,
            "BOXOFFICE_DATABASE_URL": serve_database_url or database_url,
            "BOXOFFICE_REDIS_URL": serve_redis_url or redis_url,
        }
        self.admin_key = self.env["BOXOFFICE_ADMIN_KEY"]
        self.ports = [free_port() for _ in range(count)]
        self.log_folder = log_folder
        log_folder.mkdir(parents=True, exist_ok=True)
        self._processes: list[subprocess.Popen[bytes] | None] = [None] * count

    @property
    def base_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def log(self, index: int) -> Path:
        return self.log_folder / f"instance-{index}.log"

    def run_cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`boxoffice <args>` against the servers themselves (never through a proxy)."""
        return subprocess.run(
            [*BOXOFFICE, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def migrate(self) -> None:
        done = self.run_cli("migrate")
        if done.returncode != 0:
            raise RuntimeError(f"boxoffice migrate failed:\n{done.stdout}{done.stderr}")

    def start_all(self) -> None:
        """Migrate, start every instance, and wait until each is ready."""
        self.migrate()
        for index in range(len(self.ports)):
            self._spawn(index)
        for index in range(len(self.ports)):
            self.wait_ready(index)

    def start(self, index: int) -> None:
        """Start instance `index` again, on its own port, and wait until it is ready."""
        self._spawn(index)
        self.wait_ready(index)

    def _spawn(self, index: int) -> None:
        if self.is_running(index):
            raise RuntimeError(f"instance {index} already runs")
        command = [*BOXOFFICE, "serve", "--host", "127.0.0.1", "--port", str(self.ports[index])]
        with self.log(index).open("ab") as log:
            log.write(f"--- start at {time.time():.3f}\n".encode())
            log.flush()
            self._processes[index] = subprocess.Popen(
                command, env=self.serve_env, stdout=log, stderr=subprocess.STDOUT
            )

    def is_running(self, index: int) -> bool:
        process = self._processes[index]
        return process is not None and process.poll() is None

    def wait_ready(self, index: int, within: float = READY_SECONDS) -> None:
        """Until the instance's /readyz answers 200; its log's tail in the error if never."""
        url = f"{self.base_urls[index]}/readyz"
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            process = self._processes[index]
            if process is None or process.poll() is not None:
                break
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        tail = "\n".join(self.log(index).read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"instance {index} not ready within {within} s:\n{tail}")

    def kill(self, index: int) -> None:
        """SIGKILL: the process dies mid-request, as a crashed or OOM-killed one does."""
        self._signal(index, signal.SIGKILL)

    def terminate(self, index: int) -> None:
        """SIGTERM: a graceful stop (uvicorn finishes what it serves)."""
        self._signal(index, signal.SIGTERM)

    def _signal(self, index: int, sent: signal.Signals) -> None:
        process = self._processes[index]
        if process is None or process.poll() is not None:
            raise RuntimeError(f"instance {index} does not run")
        process.send_signal(sent)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Stop every instance that still runs (gracefully, then by force, saying so)."""
        running = [(i, p) for i, p in enumerate(self._processes) if p and p.poll() is None]
        for _, process in running:
            process.terminate()
        for index, process in running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # Worth knowing: a graceful stop should not take this long (see its log).
                print(f"[faults] instance {index} ignored SIGTERM for 15 s: killed")
                process.kill()
                process.wait()

    def server_errors_logged(self) -> list[str]:
        """Lines of the instances' logs that report an unhandled error (a 500's traceback)."""
        found: list[str] = []
        for index in range(len(self.ports)):
            path = self.log(index)
            if path.exists():
                text = path.read_text(errors="replace")
                found += [line for line in text.splitlines() if "Traceback" in line]
        return found
