"""`boxoffice queue-depth`, HTTP side: fans, the admin's policy, and a fixed offered rate.

Requests are sent on a schedule (request k at start + k / rate) whatever the answers do, and a
latency counts from the scheduled time, so a slow server cannot hide its slowness by slowing the
client down. Each fan keeps to one of `lanes` keep-alive connections, opened one by one so that
the server's workers share them.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson

__all__ = ["Fan", "Lanes", "Recorder", "admin_queue", "drive", "joiner", "poller", "provision"]

API = "/api/v1"
_RAMP_SECONDS = 0.02


@dataclass
class Fan:
    index: int
    lane: int
    authorization: str
    token: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": self.authorization}
        if self.token:
            headers["X-Queue-Token"] = self.token
        return headers


@dataclass
class Recorder:
    """Latencies per operation from the scheduled send time; non-2xx answers; send lateness."""

    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    late: list[float] = field(default_factory=list)
    since: float = 0.0  # requests due before this (the warm-up) are not recorded
    window: float = 0.0  # seconds from `since` to the last answer
    cpu_pressure_pct: float | None = None  # /proc/pressure/cpu over warm-up and window
    # The slowest answer per operation and second of the window: where the slow ones bunch up.
    worst: defaultdict[str, defaultdict[int, float]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(float))
    )

    def add(self, op: str, due: float, latency: float, status: int, expected: int) -> None:
        if due < self.since:
            return
        self.latencies[op].append(latency)
        second = self.worst[op][int(due - self.since)]
        self.worst[op][int(due - self.since)] = max(second, latency)
        if status != expected:
            self.errors[f"{op} {status}"] += 1


class Lanes:
    """`count` keep-alive connections to one base URL, one request at a time on each."""

    def __init__(self, base_url: str, count: int) -> None:
        self.base_url = base_url
        self._sessions = [
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=1, ttl_dns_cache=None),
                timeout=aiohttp.ClientTimeout(total=30),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
            for _ in range(count)
        ]

    def __len__(self) -> int:
        return len(self._sessions)

    async def open(self) -> None:
        """Open (or reopen) every connection, one by one."""
        for session in self._sessions:
            async with session.get(self.base_url + "/healthz") as response:
                await response.read()
            await asyncio.sleep(_RAMP_SECONDS)

    async def close(self) -> None:
        for session in self._sessions:
            await session.close()

    async def call(
        self,
        lane: int,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None = None,
    ) -> tuple[int, Any]:
        """Status and decoded JSON body (None if none); status 0 when the request failed."""
        session = self._sessions[lane % len(self._sessions)]
        try:
            async with session.request(
                method, self.base_url + API + path, headers=headers, data=body
            ) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0, None
        try:
            return status, orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            return status, None


async def provision(lanes: Lanes, run_id: str, count: int, first: int = 0) -> list[Fan]:
    """`count` fans signed up and logged in, eight at a time."""
    password = f"queue-depth-{run_id}"
    indexes = iter(range(first, first + count))
    fans: list[Fan] = []

    async def worker() -> None:
        for index in indexes:
            username = f"qd{run_id}f{index}"
            body = orjson.dumps({"username": username, "password": password})
            status, _ = await lanes.call(
                index, "POST", "/users", {"Content-Type": "application/json"}, body
            )
            if status != 201:
                raise RuntimeError(f"signing up {username}: HTTP {status}")
            form = urlencode({"username": username, "password": password}).encode()
            form_type = {"Content-Type": "application/x-www-form-urlencoded"}
            status, reply = await lanes.call(index, "POST", "/auth/token", form_type, form)
            if status != 200 or not isinstance(reply, dict):
                raise RuntimeError(f"logging in {username}: HTTP {status}")
            fans.append(Fan(index, index % len(lanes), f"Bearer {reply['access_token']}"))

    await asyncio.gather(*(worker() for _ in range(8)))
    return sorted(fans, key=lambda fan: fan.index)


async def admin_queue(
    lanes: Lanes, admin_key: str, policy: dict[str, Any] | None = None
) -> dict[str, Any]:
    """GET /admin/queue, or PUT it with a policy change; the room as the server then shows it."""
    headers = {"X-Admin-Key": admin_key, "Content-Type": "application/json"}
    method, body = ("GET", None) if policy is None else ("PUT", orjson.dumps(policy))
    status, reply = await lanes.call(0, method, "/admin/queue", headers, body)
    if status != 200 or not isinstance(reply, dict):
        raise RuntimeError(f"{method} /admin/queue: HTTP {status} {reply!r}"[:300])
    return reply


async def join(lanes: Lanes, fan: Fan) -> int:
    """POST /queue/tokens; keeps the pass token. The HTTP status."""
    status, reply = await lanes.call(fan.lane, "POST", "/queue/tokens", fan.headers())
    if status in (200, 201) and isinstance(reply, dict):
        fan.token = str(reply["token"])
    return status


async def leave(lanes: Lanes, fan: Fan) -> int:
    status, _ = await lanes.call(fan.lane, "DELETE", "/queue/tokens/current", fan.headers())
    fan.token = ""
    return status


async def drive(
    rate: float,
    seconds: float,
    start: float,
    send: Callable[[int, float], Coroutine[Any, Any, None]],
) -> None:
    """Call send(k, due) at due = start + k / rate (perf_counter time) for `seconds`."""
    tasks: list[asyncio.Task[None]] = []
    for k in range(int(rate * seconds)):
        due = start + k / rate
        delay = due - perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(k, due)))
    await asyncio.gather(*tasks)


def poller(
    lanes: Lanes, fans: list[Fan], record: Recorder
) -> Callable[[int, float], Coroutine[Any, Any, None]]:
    """GET /queue/status for fans[k % len(fans)], timed."""

    async def send(k: int, due: float) -> None:
        fan = fans[k % len(fans)]
        record.late.append(perf_counter() - due)
        status, _ = await lanes.call(fan.lane, "GET", "/queue/status", fan.headers())
        record.add("status", due, perf_counter() - due, status, 200)

    return send


def joiner(
    lanes: Lanes, fans: list[Fan], record: Recorder
) -> Callable[[int, float], Coroutine[Any, Any, None]]:
    """POST /queue/tokens for fans[k % len(fans)] (a new pass, at the back), timed; then leave."""

    async def send(k: int, due: float) -> None:
        fan = fans[k % len(fans)]
        record.late.append(perf_counter() - due)
        async with fan.lock:
            status = await join(lanes, fan)
            record.add("join", due, perf_counter() - due, status, 201)
            began = perf_counter()
            status = await leave(lanes, fan)
            record.add("leave", due, perf_counter() - began, status, 204)

    return send
