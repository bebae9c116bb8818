"""Fans that talk HTTP to a cluster, each over its own keep-alive connection."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.integration.cluster import API, Cluster


@dataclass
class Fan:
    client: httpx.AsyncClient
    username: str
    access: str = ""
    queue_token: str = ""
    join_position: int | None = None
    # (sent, received, status, position) of every status poll, on the event loop's clock.
    history: list[tuple[float, float, str, int | None]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        headers = {"authorization": f"Bearer {self.access}"}
        if self.queue_token:
            headers["x-queue-token"] = self.queue_token
        return headers

    async def sign_up(self) -> None:
        body = {"username": self.username, "password": "password-123"}
        created = await self.client.post(f"{API}/users", json=body)
        assert created.status_code == 201, created.text
        token = await self.client.post(
            f"{API}/auth/token", data={"username": self.username, "password": "password-123"}
        )
        assert token.status_code == 200, token.text
        self.access = token.json()["access_token"]

    async def join(self, concert_id: int | None = None) -> dict[str, Any]:
        """Join the line covering `concert_id` (the house line if None)."""
        body = None if concert_id is None else {"concert_id": concert_id}
        answer = await self.client.post(f"{API}/queue/tokens", headers=self.headers, json=body)
        assert answer.status_code in (200, 201), answer.text
        body: dict[str, Any] = answer.json()
        self.queue_token = body["token"]
        self.join_position = body["position"]
        return body

    async def status(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        sent = loop.time()
        answer = await self.client.get(f"{API}/queue/status", headers=self.headers)
        while answer.status_code == 429:  # a polite client waits as told
            await asyncio.sleep(float(answer.headers["retry-after"]))
            sent = loop.time()
            answer = await self.client.get(f"{API}/queue/status", headers=self.headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        self.history.append((sent, loop.time(), body["status"], body["position"]))
        return body

    async def wait_active(self, within: float = 60.0) -> None:
        """Poll as the server advises (`poll_after_seconds`) until the pass is ACTIVE."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            body = await self.status()
            if body["status"] == "ACTIVE":
                return
            await asyncio.sleep(body["poll_after_seconds"])
        raise TimeoutError(f"{self.username} never became ACTIVE")

    async def leave(self) -> int:
        answer = await self.client.delete(f"{API}/queue/tokens/current", headers=self.headers)
        return answer.status_code

    async def charge(self, amount: int, key: str | None = None) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": key or uuid.uuid4().hex}
        return await self.client.post(
            f"{API}/wallet/charges", json={"amount": amount}, headers=headers
        )

    async def hold(self, schedule_id: int, seats: list[int]) -> httpx.Response:
        return await self.client.post(
            f"{API}/reservations",
            json={"schedule_id": schedule_id, "seat_numbers": seats},
            headers=self.headers,
        )

    async def hold_best(self, schedule_id: int, quantity: int) -> httpx.Response:
        return await self.client.post(
            f"{API}/reservations",
            json={"schedule_id": schedule_id, "quantity": quantity},
            headers=self.headers,
        )

    async def pay(self, reservation_id: int, key: str | None = None) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": key or uuid.uuid4().hex}
        return await self.client.post(
            f"{API}/payments", json={"reservation_id": reservation_id}, headers=headers
        )


def fan_client(cluster: Cluster) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=cluster.url(), timeout=60.0)


def on_every_instance(fan: Fan, cluster: Cluster) -> list[Fan]:
    """The same fan (account and queue pass) once per instance, in `cluster.base_urls` order,
    each with a client of its own, so that one fan's requests can race across processes."""
    return [
        replace(fan, client=httpx.AsyncClient(base_url=url, timeout=60.0), history=[])
        for url in cluster.base_urls
    ]


async def make_fans(cluster: Cluster, count: int, prefix: str) -> list[Fan]:
    """Sign up and log in `count` fans spread over the instances, a few dozen at a time."""
    fans = [Fan(fan_client(cluster), f"{prefix}{i}") for i in range(count)]
    gate = asyncio.Semaphore(32)

    async def one(fan: Fan) -> None:
        async with gate:
            await fan.sign_up()

    await asyncio.gather(*(one(f) for f in fans))
    return fans


async def admit_all(fans: list[Fan]) -> None:
    await asyncio.gather(*(f.join() for f in fans))
    await asyncio.gather(*(f.wait_active() for f in fans))


async def close_all(fans: list[Fan]) -> None:
    await asyncio.gather(*(f.client.aclose() for f in fans))


async def admin(cluster: Cluster, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=cluster.url(), timeout=60.0) as client:
        return await client.request(
            method, f"{API}{path}", headers={"x-admin-key": cluster.admin_key}, **kwargs
        )


async def create_date(cluster: Cluster, seats: int, price: int = 10_000) -> int:
    return (await create_concert_date(cluster, seats, price))[1]


async def create_concert_date(
    cluster: Cluster, seats: int, price: int = 10_000, title: str = "Race night"
) -> tuple[int, int]:
    """A new concert with one date a month ahead: (concert id, date id)."""
    concert = await admin(cluster, "POST", "/admin/concerts", json={"title": title})
    assert concert.status_code == 201, concert.text
    starts_at = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    schedule = await admin(
        cluster,
        "POST",
        f"/admin/concerts/{concert.json()['id']}/schedules",
        json={"starts_at": starts_at, "seat_count": seats, "price": price},
    )
    assert schedule.status_code == 201, schedule.text
    return int(concert.json()["id"]), int(schedule.json()["id"])
