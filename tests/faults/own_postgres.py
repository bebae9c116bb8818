"""A PostgreSQL cluster of the suite's own, on a free port, that a fault may stop or kill.

Faults restart and kill the server, so the suite never points them at the machine's shared
PostgreSQL: every scenario gets a cluster made by `initdb` in a temporary folder. initdb refuses
to run as root (CI runs as root), so the server's binaries then run as the `postgres` OS user,
in a folder that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from tests.servers import free_port

__all__ = ["OwnPostgres", "postgres_bin"]

DATABASE = "boxoffice"
START_SECONDS = 30


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's binaries (Debian keeps them per major version)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if not candidates:
        raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    return candidates[-1].parent


def _as_server_user() -> list[str]:
    # initdb and postgres refuse root; any other user runs them as itself.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class OwnPostgres:
    """`start()` makes and starts the cluster with a database `boxoffice`; `url` reaches it."""

    def __init__(self) -> None:
        self.port = free_port()
        self._bin = postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="bx-faults-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self._initialized = False

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the database `boxoffice`, as the instances take it."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_as_server_user(), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.folder,
        )

    def _checked(self, *args: str, timeout: float = 60) -> str:
        done = self._run(*args, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done.stdout

    def _initdb(self) -> None:
        self._checked(
            str(self._bin / "initdb"),
            "--pgdata",
            str(self.data),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-sync",  # a throwaway cluster: durability on disk buys nothing here
        )

    def start(self) -> None:
        """Start the server (making the cluster and its database the first time)."""
        first = not self._initialized
        if first:
            self._initdb()
            self._initialized = True
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.folder}",
                # Speed, not durability: a crash test here kills processes, not the machine.
                "-c fsync=off",
                "-c full_page_writes=off",
                "-c max_connections=120",
            ]
        )
        self._checked(
            str(self._bin / "pg_ctl"),
            "--pgdata",
            str(self.data),
            "--log",
            str(self.log),
            "--options",
            options,
            "--wait",
            f"--timeout={START_SECONDS}",
            "start",
        )
        if first:
            self.sql(f"CREATE DATABASE {DATABASE}", database="postgres")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" rolls back and disconnects clients, "immediate" is a crash."""
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError(f"unknown stop mode {mode!r}")
        self._checked(
            str(self._bin / "pg_ctl"), "--pgdata", str(self.data), "--mode", mode, "--wait", "stop"
        )

    def restart(self, mode: str = "fast") -> None:
        """Stop and start again on the same port; the data stays."""
        self.stop(mode)
        self.start()

    def is_running(self) -> bool:
        return (
            self._run(str(self._bin / "pg_ctl"), "--pgdata", str(self.data), "status").returncode
            == 0
        )

    async def connect(self) -> Any:
        """An asyncpg connection to `boxoffice` for the test's own reads (the caller closes it)."""
        return await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}")

    def sql(self, statement: str, database: str = DATABASE) -> str:
        """Run one statement through psql on the socket; its unaligned output."""
        return self._checked(
            str(self._bin / "psql"),
            "--no-psqlrc",
            "--quiet",
            "--tuples-only",
            "--no-align",
            "--host",
            str(self.folder),
            "--port",
            str(self.port),
            "--username",
            "postgres",
            "--dbname",
            database,
            "--set",
            "ON_ERROR_STOP=1",
            "--command",
            statement,
        ).strip()

    def terminate_backends(self) -> int:
        """End every client backend but this query's own, as a failover or an admin would;
        the number ended."""
        ended = self.sql(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) AS ended",
            database="postgres",
        )
        return int(ended)

    def client_backends(self) -> int:
        """Client backends connected now, this query's own excluded."""
        return int(
            self.sql(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
                database="postgres",
            )
        )

    def close(self) -> None:
        """Stop the server if it runs (a crash stop: the data is thrown away) and remove it all."""
        if self._initialized and self.is_running():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def wait_until_accepting(self, within: float = START_SECONDS) -> None:
        """Until the server answers a query (after a crash it replays its WAL first)."""
        deadline = time.monotonic() + within
        while True:
            try:
                self.sql("SELECT 1", database="postgres")
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
