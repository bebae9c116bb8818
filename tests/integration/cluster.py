"""Several real `boxoffice serve` processes on one PostgreSQL database and one Redis."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from tests.servers import drop_room, free_port

DATABASE_URL = os.environ.get("BOXOFFICE_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("BOXOFFICE_TEST_REDIS_URL")
API = "/api/v1"


async def _admin_sql(statement: str) -> None:
    assert DATABASE_URL is not None
    url = make_url(DATABASE_URL).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class Cluster:
    """N identical instances; `url(i)` spreads clients over them round-robin."""

    base_urls: list[str]
    env: dict[str, str]
    admin_key: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)
    _next: Iterator[int] = field(default_factory=itertools.count)

    def url(self) -> str:
        return self.base_urls[next(self._next) % len(self.base_urls)]

    def run_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "boxoffice", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def start_cluster(instances: int = 3, **settings: Any) -> Cluster:
    """Create a fresh database, migrate it, and start `instances` servers; wait until ready."""
    assert DATABASE_URL, "integration tests need BOXOFFICE_TEST_DATABASE_URL"
    assert REDIS_URL, "integration tests need BOXOFFICE_TEST_REDIS_URL"
    database = f"bx_it_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin_sql(f"CREATE DATABASE {database}"))
    database_url = make_url(DATABASE_URL).set(database=database)
    admin_key = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "BOXOFFICE_DATABASE_URL": database_url.render_as_string(hide_password=False),
        "BOXOFFICE_REDIS_URL": REDIS_URL,
        "BOXOFFICE_QUEUE_ROOM": f"it-{uuid.uuid4().hex[:12]}",
        "BOXOFFICE_SECRET_KEY": secrets.token_urlsafe(32),
        "BOXOFFICE_ADMIN_KEY": admin_key,
        "BOXOFFICE_PASSWORD_TIME_COST": "1",
        "BOXOFFICE_PASSWORD_MEMORY_KIB": "64",
        "BOXOFFICE_SIGNUP_LIMIT_PER_IP": "0",
        "BOXOFFICE_LOGIN_LIMIT_PER_IP": "0",
        "BOXOFFICE_ADMISSION_INTERVAL_SECONDS": "0.1",
        "BOXOFFICE_LOG_LEVEL": "WARNING",
        # Three instances share one PostgreSQL (100 connections by default) with the test run.
        "BOXOFFICE_DB_POOL_SIZE": "8",
        "BOXOFFICE_DB_MAX_OVERFLOW": "4",
        # Every fan of these tests comes from 127.0.0.1: no per-IP limit.
        "BOXOFFICE_QUEUE_LIMIT_PER_IP": "0",
        **{f"BOXOFFICE_{k.upper()}": str(v) for k, v in settings.items()},
    }
    ports = [free_port() for _ in range(instances)]
    cluster = Cluster([f"http://127.0.0.1:{p}" for p in ports], env, admin_key)
    migrated = cluster.run_cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    for port in ports:
        log = tempfile.TemporaryFile()  # noqa: SIM115 - kept open while the process runs
        cluster.logs.append(log)
        cluster.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "boxoffice", "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    _wait_ready(cluster)
    return cluster


def _wait_ready(cluster: Cluster, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    pending = set(cluster.base_urls)
    while pending and time.monotonic() < deadline:
        for url in list(pending):
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    pending.discard(url)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    if pending:
        stop_cluster(cluster)
        raise RuntimeError(f"instances not ready: {sorted(pending)}")


def stop_cluster(cluster: Cluster) -> None:
    """Stop every instance gracefully, then drop the database and the room's Redis keys."""
    for process in cluster.processes:
        process.terminate()
    for process in cluster.processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for log in cluster.logs:
        log.seek(0)
        errors = [
            line for line in log.read().decode(errors="replace").splitlines() if "rror" in line
        ]
        if errors:
            print("\n".join(["[instance log]", *errors[:20]]))
        log.close()
    database = make_url(cluster.env["BOXOFFICE_DATABASE_URL"]).database
    asyncio.run(_admin_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
    drop_room(cluster.env["BOXOFFICE_REDIS_URL"], cluster.env["BOXOFFICE_QUEUE_ROOM"])
