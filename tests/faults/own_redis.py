"""A Redis server of the suite's own, on a free port, that a fault may kill or empty.

Faults stop, kill and wipe the server, so the suite never points them at the machine's shared
Redis. A restart comes back on the SAME port, as a restarted production Redis does, so the
instances' configured URL stays right.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from tests.servers import free_port

__all__ = ["OwnRedis"]

REDIS_SERVER = "/usr/bin/redis-server"
START_SECONDS = 15


class OwnRedis:
    """`persistent=True`: append-only file fsynced every second, as production runs it."""

    def __init__(self, persistent: bool = True) -> None:
        self.port = free_port()
        self.persistent = persistent
        self.folder = Path(tempfile.mkdtemp(prefix="bx-faults-redis-"))
        self.log = self.folder / "redis.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _command(self) -> list[str]:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "everysec"]
            if self.persistent
            else ["--appendonly", "no"]
        )
        return [
            REDIS_SERVER,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.folder),
            "--logfile",
            str(self.log),
            # No RDB snapshots: what survives a restart is decided by the AOF setting alone.
            "--save",
            "",
            "--daemonize",
            "no",
            *persistence,
        ]

    def start(self) -> None:
        """Start the server and wait until it answers PING (after loading its AOF, if any)."""
        if self._process is not None and self._process.poll() is None:
            raise RuntimeError("redis-server already runs")
        self._process = subprocess.Popen(
            self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.wait_until_ready()

    def wait_until_ready(self, within: float = START_SECONDS) -> None:
        deadline = time.monotonic() + within
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{self._log_tail()}")
            if self.ping():
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server not ready in {within} s:\n{self._log_tail()}")
            time.sleep(0.05)

    def ping(self) -> bool:
        client = Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except (RedisError, OSError):
            return False
        finally:
            client.close()

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (Redis flushes its AOF and exits) or SIGKILL (a crash: the last second of
        writes may be lost even with the AOF)."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self, keep_data: bool = True, kill: bool = False) -> None:
        """Stop and start on the same port. Without `keep_data` the server comes back empty,
        its files deleted: "Redis lost"."""
        self.stop(kill=kill)
        if not keep_data:
            self.wipe_files()
        self.start()

    def wipe_files(self) -> None:
        """Delete the AOF and any RDB file, so a start loads nothing."""
        shutil.rmtree(self.folder / "appendonlydir", ignore_errors=True)
        (self.folder / "dump.rdb").unlink(missing_ok=True)

    def client(self) -> Redis:
        """A direct client (for the test's own reads and checks, not the instances')."""
        return Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)

    def close(self) -> None:
        """Kill the server and remove its folder."""
        self.stop(kill=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _log_tail(self, lines: int = 20) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
