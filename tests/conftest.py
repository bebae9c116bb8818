"""Shared fixtures: a settable clock, the app over HTTP, and a driver that acts as fans and admin.

By default every test gets a fresh SQLite file and the in-process waiting room (the embedded
default). With `BOXOFFICE_TEST_DATABASE_URL` (and `BOXOFFICE_TEST_REDIS_URL`) set, the same tests
run on PostgreSQL (and Redis): the schema is migrated once per session, every table is emptied
before each test, and each test gets a waiting room of its own name so no line leaks between tests.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from boxoffice.app import create_app
from boxoffice.bootstrap import Container
from boxoffice.migrations.schema import metadata
from boxoffice.platform.migrate import upgrade
from boxoffice.settings import Settings
from tests.servers import drop_room_async

TEST_DATABASE_URL = os.environ.get("BOXOFFICE_TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("BOXOFFICE_TEST_REDIS_URL") or None

# PyJWT warns about HMAC keys under 32 bytes, and warnings are errors here.
SECRET_KEY = "test-secret-for-signing-tokens-0123456789"
ADMIN_KEY = "test-admin-key-0123456789abcdefghij"
ADMIN = {"X-Admin-Key": ADMIN_KEY}
PASSWORD = "correct horse battery"
API = "/api/v1"

# Every knob a test relies on is spelled out, so BOXOFFICE_* variables of the shell cannot leak in.
TEST_SETTINGS: dict[str, Any] = {
    "secret_key": SECRET_KEY,
    "admin_key": ADMIN_KEY,
    "hold_seconds": 300,
    "max_seats_per_reservation": 4,
    "max_held_seats_per_user": 4,
    "queue_max_active": 100,
    "queue_admit_per_minute": 6000,
    "queue_active_ttl_seconds": 600,
    "queue_claim_seconds": 60,
    # Tests read a waiting pass's status back to back; pacing of polls is not what they test.
    "poll_pace_ratio": 0,
    "wallet_currency": "KRW",
    "wallet_max_balance": 10_000_000,
    "wallet_max_charge": 2_000_000,
    # Tests read their own writes back at once: a write here re-renders the listings it changed.
    "hot_read_refresh_seconds": 0,
    "access_token_ttl_seconds": 3600,
    # argon2id still, but cheap: fifty fans signing up must not take half a minute of CPU.
    "password_time_cost": 1,
    "password_memory_kib": 64,
    # One test signs up and logs in dozens of fans from one address; tests/abuse turns these on.
    "signup_limit_per_ip": 0,
    "login_limit_per_ip": 0,
    "log_level": "WARNING",
}


class SettableClock:
    """The service's clock in tests: it starts at the real time and moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


@pytest.fixture(scope="session")
def migrated_database_url() -> str | None:
    """PostgreSQL migrated once for the session, or None for the per-test SQLite file."""
    if TEST_DATABASE_URL is None:
        return None
    upgrade(Settings(database_url=TEST_DATABASE_URL, **TEST_SETTINGS))
    return TEST_DATABASE_URL


@pytest.fixture
def settings(tmp_path: Path, migrated_database_url: str | None) -> Settings:
    """Settings for one test; on SQLite the fresh file is migrated here."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=migrated_database_url,
        redis_url=TEST_REDIS_URL,
        queue_room=f"test-{uuid.uuid4().hex}",
        **TEST_SETTINGS,
    )
    if settings.is_sqlite:
        upgrade(settings)
    return settings


async def _empty_every_table(database_url: str) -> None:
    engine = create_async_engine(database_url, poolclass=NullPool)
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def app(settings: Settings, clock: SettableClock) -> AsyncIterator[FastAPI]:
    """The app with its lifespan entered; no background loops (tests admit and sweep by hand)."""
    if settings.database_url:
        await _empty_every_table(settings.database_url)
    app = create_app(settings, clock=clock, background=False)
    async with app.router.lifespan_context(app):
        yield app
    if settings.redis_url:
        await drop_room_async(settings.redis_url, settings.queue_room)


@pytest.fixture
def container(app: FastAPI) -> Container:
    container: Container = app.state.container
    return container


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # A crash answers 500 here as it would to a real client, instead of raising into the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@dataclass
class Fan:
    """A signed-up, logged-in fan; `queue_token` once they joined the line."""

    id: int
    username: str
    auth: dict[str, str]
    queue_token: str | None = None

    @property
    def with_pass(self) -> dict[str, str]:
        """Account and queue pass headers, as [pass] endpoints need them."""
        assert self.queue_token is not None, "join the line first"
        return {**self.auth, "X-Queue-Token": self.queue_token}


class Shop:
    """Drives the service over HTTP as fans and the admin do. Helpers that must succeed assert it;
    the `post_*` ones return the raw response for tests about failures."""

    _names = itertools.count(1)

    def __init__(
        self, client: httpx.AsyncClient, container: Container, clock: SettableClock
    ) -> None:
        self.client = client
        self.container = container
        self.clock = clock

    # accounts
    async def sign_up(self, username: str | None = None, password: str = PASSWORD) -> Fan:
        """A new account, logged in."""
        username = username or f"fan_{next(self._names)}"
        created = await self.client.post(
            f"{API}/users", json={"username": username, "password": password}
        )
        assert created.status_code == 201, created.text
        return Fan(created.json()["id"], username, await self.log_in(username, password))

    async def log_in(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        """Auth headers for the account."""
        response = await self.client.post(
            f"{API}/auth/token", data={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    # waiting room
    async def join(self, fan: Fan, concert_id: int | None = None) -> dict[str, Any]:
        """Join the line (with `concert_id`, the line covering that concert); the fan keeps the
        pass."""
        body = None if concert_id is None else {"concert_id": concert_id}
        response = await self.client.post(f"{API}/queue/tokens", headers=fan.auth, json=body)
        assert response.status_code in (200, 201), response.text
        fan.queue_token = response.json()["token"]
        return dict(response.json())

    async def queue_status(self, fan: Fan) -> dict[str, Any]:
        response = await self.client.get(f"{API}/queue/status", headers=fan.with_pass)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def admit(self, line: int | None = None) -> list[str]:
        """One admission step of a line (a concert's own, or the house line) now, as the
        background loop would run it."""
        store = self.container.waiting_room.stores.of(line)
        return await store.admit(self.clock.now().timestamp())

    async def admitted_fan(self, username: str | None = None, line: int | None = None) -> Fan:
        """A fan who signed up, joined a line and was let in (pass ACTIVE, not yet used)."""
        fan = await self.sign_up(username)
        await self.join(fan, line)
        await self.admit(line)
        assert (await self.queue_status(fan))["status"] == "ACTIVE"
        return fan

    # admin
    async def set_queue_policy(self, **changes: Any) -> dict[str, Any]:
        """PUT /admin/queue with some policy fields; the room as it is afterwards."""
        response = await self.client.put(f"{API}/admin/queue", json=changes, headers=ADMIN)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def own_line(self, concert_id: int, **policy: Any) -> dict[str, Any]:
        """PUT /admin/concerts/{id}/queue: the concert gets (or keeps) a line of its own."""
        response = await self.client.put(
            f"{API}/admin/concerts/{concert_id}/queue", json=policy, headers=ADMIN
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def create_concert(self, title: str = "Spring Concert", **fields: Any) -> dict[str, Any]:
        response = await self.client.post(
            f"{API}/admin/concerts", json={"title": title, **fields}, headers=ADMIN
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def create_date(
        self,
        concert_id: int,
        *,
        starts_in: timedelta = timedelta(days=30),
        seat_count: int = 10,
        price: int = 50_000,
        price_tiers: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A date `starts_in` from the service's now, one price or priced by tiers."""
        body: dict[str, Any] = {"starts_at": (self.clock.now() + starts_in).isoformat()}
        if price_tiers is None:
            body |= {"seat_count": seat_count, "price": price}
        else:
            body["price_tiers"] = price_tiers
        response = await self.client.post(
            f"{API}/admin/concerts/{concert_id}/schedules", json=body, headers=ADMIN
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def date_on_sale(self, seat_count: int = 10, price: int = 50_000) -> dict[str, Any]:
        """A new concert with one date a month ahead."""
        concert = await self.create_concert()
        return await self.create_date(concert["id"], seat_count=seat_count, price=price)

    async def seat_map(self, fan: Fan, schedule_id: int) -> dict[int, str]:
        """Seat number → status, as the fan sees it now."""
        response = await self.client.get(
            f"{API}/schedules/{schedule_id}/seats", headers=fan.with_pass
        )
        assert response.status_code == 200, response.text
        return {seat["number"]: seat["status"] for seat in response.json()}

    # reservations
    async def post_hold(self, fan: Fan, schedule_id: int, seats: list[int]) -> httpx.Response:
        return await self.client.post(
            f"{API}/reservations",
            json={"schedule_id": schedule_id, "seat_numbers": seats},
            headers=fan.with_pass,
        )

    async def hold(self, fan: Fan, schedule_id: int, seats: list[int]) -> dict[str, Any]:
        response = await self.post_hold(fan, schedule_id, seats)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def reservation(self, fan: Fan, reservation_id: int) -> dict[str, Any]:
        response = await self.client.get(f"{API}/reservations/{reservation_id}", headers=fan.auth)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def cancel(self, fan: Fan, reservation_id: int) -> httpx.Response:
        return await self.client.post(
            f"{API}/reservations/{reservation_id}/cancel", headers=fan.auth
        )

    # wallet
    async def post_charge(self, fan: Fan, amount: Any, key: str | None = None) -> httpx.Response:
        headers = fan.auth if key is None else {**fan.auth, "Idempotency-Key": key}
        return await self.client.post(
            f"{API}/wallet/charges", json={"amount": amount}, headers=headers
        )

    async def charge(self, fan: Fan, amount: int, key: str | None = None) -> dict[str, Any]:
        response = await self.post_charge(fan, amount, key)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def balance(self, fan: Fan) -> int:
        response = await self.client.get(f"{API}/wallet", headers=fan.auth)
        assert response.status_code == 200, response.text
        return int(response.json()["balance"])

    async def ledger(self, fan: Fan, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"{API}/wallet/transactions", headers=fan.auth, params=params
        )
        assert response.status_code == 200, response.text
        return list(response.json())

    # payments
    async def post_payment(
        self, fan: Fan, reservation_id: Any, key: str | None = None
    ) -> httpx.Response:
        headers = fan.with_pass if key is None else {**fan.with_pass, "Idempotency-Key": key}
        return await self.client.post(
            f"{API}/payments", json={"reservation_id": reservation_id}, headers=headers
        )

    async def pay(self, fan: Fan, reservation_id: int, key: str | None = None) -> dict[str, Any]:
        response = await self.post_payment(fan, reservation_id, key)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def payments(self, fan: Fan) -> list[dict[str, Any]]:
        response = await self.client.get(f"{API}/payments", headers=fan.auth)
        assert response.status_code == 200, response.text
        return list(response.json())


@pytest.fixture
def shop(client: httpx.AsyncClient, container: Container, clock: SettableClock) -> Shop:
    return Shop(client, container, clock)
