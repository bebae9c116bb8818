"""A lock the service cannot get in time becomes a retryable 503 BUSY, never a hang or a 500."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from boxoffice.platform.problems import PROBLEM_MEDIA_TYPE
from boxoffice.settings import Settings
from tests.conftest import ADMIN_KEY, API
from tests.e2e.support import assert_problem

LOCK_TIMEOUT_MS = 300


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"db_lock_timeout_ms": LOCK_TIMEOUT_MS})


@asynccontextmanager
async def _postgres_wallet_locked(settings: Settings, user_id: int) -> AsyncIterator[None]:
    url = make_url(settings.effective_database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        async with connection.transaction():
            await connection.execute("SELECT 1 FROM wallet WHERE user_id = $1 FOR UPDATE", user_id)
            yield
    finally:
        await connection.close()


@contextmanager
def _sqlite_write_locked(settings: Settings) -> Iterator[None]:
    # Another process (say `boxoffice demo`) holding SQLite's one write lock.
    path = make_url(settings.effective_database_url).database
    assert path is not None
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


@asynccontextmanager
async def _wallet_locked(settings: Settings, user_id: int) -> AsyncIterator[None]:
    if settings.is_sqlite:
        with _sqlite_write_locked(settings):
            yield
    else:
        async with _postgres_wallet_locked(settings, user_id):
            yield


async def test_a_charge_that_cannot_lock_the_wallet_is_503_busy_and_changes_nothing(
    shop, settings: Settings
) -> None:
    fan = await shop.sign_up()

    async with _wallet_locked(settings, fan.id):
        started = time.monotonic()
        response = await shop.post_charge(fan, 10_000)
        waited = time.monotonic() - started

    body = assert_problem(response, 503, "BUSY")
    assert int(response.headers["retry-after"]) >= 1
    assert "nothing was changed" in body["detail"]
    assert waited < 5, "the lock timeout bounds the wait"
    assert await shop.balance(fan) == 0
    assert await shop.ledger(fan) == []
    # Once the lock is gone, the same request goes through.
    assert (await shop.post_charge(fan, 10_000)).status_code == 201
    assert await shop.balance(fan) == 10_000


@asynccontextmanager
async def _lines_locked(settings: Settings) -> AsyncIterator[None]:
    """The table of concert lines locked against writes, by another session."""
    if settings.is_sqlite:
        with _sqlite_write_locked(settings):
            yield
        return
    url = make_url(settings.effective_database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        async with connection.transaction():
            await connection.execute("LOCK TABLE queue_line IN EXCLUSIVE MODE")
            yield
    finally:
        await connection.close()


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_a_concert_line_that_cannot_be_written_is_503_busy_as_documented(
    shop, settings: Settings, method: str
) -> None:
    """Its document listed no BUSY among the 503's codes (contract v1.1: every error status a
    route can answer, with its codes)."""
    admin = {"X-Admin-Key": ADMIN_KEY}
    path = f"{API}/admin/concerts/{(await shop.create_concert())['id']}/queue"
    body = {"json": {"max_active": 3}} if method == "PUT" else {}
    if method == "DELETE":
        assert (await shop.client.put(path, json={"max_active": 3}, headers=admin)).is_success

    async with _lines_locked(settings):
        response = await shop.client.request(method, path, headers=admin, **body)
    after = await shop.client.request(method, path, headers=admin, **body)

    assert_problem(response, 503, "BUSY")
    assert after.is_success, after.text  # the same request, once the lock is gone
    document = (await shop.client.get("/openapi.json")).json()
    declared = document["paths"][f"{API}/admin/concerts/{{concert_id}}/queue"][method.lower()]
    schema = declared["responses"]["503"]["content"][PROBLEM_MEDIA_TYPE]["schema"]
    assert "BUSY" in schema["allOf"][1]["properties"]["code"]["enum"]
