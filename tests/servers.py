"""Shared by the test suites that start real servers or use Redis rooms."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx
import pytest
from redis import Redis
from redis import asyncio as redis_asyncio
from redis.exceptions import RedisError

SERVER_START_SECONDS = 30
BOXOFFICE = [sys.executable, "-m", "boxoffice"]


def server_env(
    data_dir: Path, *, secret_key: str, admin_key: str, **settings: str
) -> dict[str, str]:
    """The environment of a test's `boxoffice serve`: the shell's without any BOXOFFICE_*
    variable, plus its data folder and keys, cheap argon2 (fans sign up by the dozen), no
    sign-up or log-in limit per address (they all come from 127.0.0.1; tests/abuse turns the
    limits on), warnings only, and `settings` by their names in Settings (`queue_max_active`)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("BOXOFFICE_")}
    env.update(
        BOXOFFICE_DATA_DIR=str(data_dir),
        BOXOFFICE_SECRET_KEY=secret_key,
        BOXOFFICE_ADMIN_KEY=admin_key,
        BOXOFFICE_PASSWORD_TIME_COST="1",
        BOXOFFICE_PASSWORD_MEMORY_KIB="64",
        BOXOFFICE_SIGNUP_LIMIT_PER_IP="0",
        BOXOFFICE_LOGIN_LIMIT_PER_IP="0",
        BOXOFFICE_LOG_LEVEL="WARNING",
    )
    env.update({f"BOXOFFICE_{name.upper()}": value for name, value in settings.items()})
    return env


# Every port handed out in this process: the kernel may give a port that was just handed out
# (and is not bound yet) to the next pick too, and two servers then race for it (the fault
# suite's instances 0 and 1 once both got 56917; one failed to bind, and its readiness check
# was answered by the other).
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, never one this process handed out before."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Until `url`/readyz answers 200; the test fails with the log's tail if it never does."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"boxoffice serve exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    pytest.fail(f"boxoffice serve was not ready within {SERVER_START_SECONDS} s:\n{_tail(log)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate gracefully; kill if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def served(
    env: Mapping[str, str], log: Path, prepare: Sequence[str] = ("migrate",)
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run the `prepare` commands, then `boxoffice serve` on a free port; yields its URL and
    process (for tests that signal it), and stops it at the end if it still runs."""
    with log.open("wb") as output:
        for step in prepare:
            subprocess.run(
                [*BOXOFFICE, step], env=env, stdout=output, stderr=subprocess.STDOUT, check=True
            )
        port = free_port()
        process = subprocess.Popen(
            [*BOXOFFICE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, url, log)
        yield url, process
    finally:
        stop(process)


@contextlib.contextmanager
def boxoffice_server(
    env: Mapping[str, str], log: Path, prepare: Sequence[str] = ("migrate",)
) -> Iterator[str]:
    """`served`, for tests that need only the URL."""
    with served(env, log, prepare) as (url, _):
        yield url


def _room_pattern(room: str) -> str:
    # Every key of a room carries the room's name as its hash tag; a concert's own line is the
    # room `{room}:c{concert_id}` (bootstrap.build_line_stores), dropped with it.
    return f"*{{{room}[}}:]*"


def drop_room(redis_url: str, room: str) -> None:
    """Delete every key of a waiting room (a Redis that does not answer holds none of ours; a
    Redis Cluster of a test's own goes with its nodes)."""
    if "+cluster://" in redis_url:
        return
    client = Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=_room_pattern(room), count=1000))
        if keys:
            client.delete(*keys)
    except (RedisError, OSError):
        pass
    finally:
        client.close()


async def drop_room_async(redis_url: str, room: str) -> None:
    """`drop_room` for async code."""
    client = redis_asyncio.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=_room_pattern(room), count=1000)]
        if keys:
            await client.delete(*keys)
    except (RedisError, OSError):
        pass
    finally:
        await client.aclose()
