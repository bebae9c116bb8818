"""Operations endpoints, the web client, the OpenAPI document, and errors outside any route."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from boxoffice.app import create_app
from boxoffice.background import observe_caches
from boxoffice.bootstrap import default_policy
from boxoffice.platform.database import create_engine
from boxoffice.platform.migrate import upgrade
from boxoffice.settings import Settings
from boxoffice.waiting_room.store_memory import MemoryWaitingRoomStore
from tests.conftest import API

from .support import assert_problem

CONTRACT = {
    "/api/v1/users": {"post"},
    "/api/v1/auth/token": {"post"},
    "/api/v1/queue/tokens": {"post"},
    "/api/v1/queue/status": {"get"},
    "/api/v1/queue/tokens/current": {"delete"},
    "/api/v1/concerts": {"get"},
    "/api/v1/concerts/{concert_id}/schedules": {"get"},
    "/api/v1/schedules/{schedule_id}/seats": {"get"},
    "/api/v1/reservations": {"get", "post"},
    "/api/v1/reservations/{reservation_id}": {"get"},
    "/api/v1/reservations/{reservation_id}/cancel": {"post"},
    "/api/v1/wallet": {"get"},
    "/api/v1/wallet/charges": {"post"},
    "/api/v1/wallet/transactions": {"get"},
    "/api/v1/payments": {"get", "post"},
    "/api/v1/admin/concerts": {"post"},
    "/api/v1/admin/concerts/{concert_id}/schedules": {"post"},
    "/api/v1/admin/queue": {"get", "put"},
    "/healthz": {"get"},
    "/readyz": {"get"},
    "/metrics": {"get"},
}


async def test_healthz_answers_while_the_process_lives(client) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_when_database_and_store_do(client) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200


class _SilentStore(MemoryWaitingRoomStore):
    async def ping(self) -> bool:
        return False


@asynccontextmanager
async def _client_of(settings: Settings, clock, **wiring) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=clock, background=False, **wiring)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_readyz_is_503_when_the_waiting_room_store_does_not_answer(settings, clock) -> None:
    store = _SilentStore(default_policy(settings))

    async with _client_of(settings, clock, store=store) as client:
        response = await client.get("/readyz")

    assert_problem(response, 503, "NOT_READY")


async def _aiosqlite_threads_done() -> None:
    """aiosqlite stops the worker thread of a connection that failed to open without waiting
    for it, and the thread then reports to the event loop: let it finish while the test's loop
    still runs (otherwise it raises 'Event loop is closed' into whichever test comes next)."""
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5)


async def test_readyz_is_503_when_the_database_does_not_answer(clock, tmp_path) -> None:
    unreachable = f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'boxoffice.db'}"
    broken = Settings(
        data_dir=tmp_path, database_url=unreachable, secret_key="s" * 40, admin_key="a" * 40
    )

    async with _client_of(broken, clock) as client:
        response = await client.get("/readyz")
        alive = await client.get("/healthz")
    await _aiosqlite_threads_done()

    assert_problem(response, 503, "NOT_READY")
    assert alive.status_code == 200


async def _record_revision(settings: Settings, revision: str) -> None:
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
        )
    await engine.dispose()


async def test_readyz_is_503_while_the_database_is_not_migrated_to_this_version(
    clock, tmp_path
) -> None:
    """A database never migrated, or restored from before this version's newest migration,
    answers every request with an error (a missing table): /readyz said ready all the same."""
    settings = Settings(data_dir=tmp_path, secret_key="s" * 40, admin_key="a" * 40)

    async with _client_of(settings, clock) as client:
        # The database answers requests, if only with errors: readiness looks at its schema.
        await client.post(f"{API}/users", json={"username": "early_fan", "password": "p" * 12})
        empty = await client.get("/readyz")
        await asyncio.to_thread(upgrade, settings)
        migrated = await client.get("/readyz")
    await _record_revision(settings, "0009")  # as a backup from before 0010 would read
    async with _client_of(settings, clock) as client:
        older = await client.get("/readyz")
    await _record_revision(settings, "9999")  # a newer version's migration, which keeps ours
    async with _client_of(settings, clock) as client:
        newer = await client.get("/readyz")

    for behind in (empty, older):
        problem = assert_problem(behind, 503, "NOT_READY")
        assert problem["checks"]["database"] == (
            "not migrated to this version (run boxoffice migrate)"
        )
        assert problem["checks"]["waiting_room"] == "ok"
    assert migrated.status_code == 200, migrated.text
    assert newer.status_code == 200, newer.text


RequestLabels = tuple[str, str, str]  # method, route, status


async def _readings(client: httpx.AsyncClient) -> tuple[Counter[RequestLabels], float]:
    """Requests counted by (method, route, status), reads of /metrics left out, and holds
    created, as /metrics shows them. The registry is the process's and earlier tests counted
    under the same labels, so a test compares two readings instead of looking for a label."""
    requests: Counter[RequestLabels] = Counter()
    holds_created = None
    for family in text_string_to_metric_families((await client.get("/metrics")).text):
        for sample in family.samples:
            if sample.name == "boxoffice_holds_created_total":
                holds_created = sample.value
            if sample.name != "boxoffice_http_request_duration_seconds_count":
                continue
            labels = (sample.labels["method"], sample.labels["route"], sample.labels["status"])
            if labels[1] != "/metrics":
                requests[labels] = int(sample.value)
    assert holds_created is not None, "the service's own counters are always exported"
    return requests, holds_created


async def test_metrics_are_prometheus_text_with_the_services_own(client, shop) -> None:
    schedule = (await shop.date_on_sale(seat_count=2))["id"]
    requests_before, holds_before = await _readings(client)

    fan = await shop.sign_up()
    await shop.join(fan)
    await shop.admit()
    await shop.hold(fan, schedule, [1])
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "boxoffice_http_request_duration_seconds_bucket" in response.text
    assert 'method="POST"' in response.text
    assert 'status="201"' in response.text
    assert "boxoffice_holds_created_total" in response.text
    # Every request made since the first reading, once, under its route template and status.
    requests_after, holds_after = await _readings(client)
    moved = {
        labels: requests_after[labels] - requests_before[labels]
        for labels in requests_after
        if requests_after[labels] != requests_before[labels]
    }
    assert moved == {
        ("POST", "/api/v1/users", "201"): 1,
        ("POST", "/api/v1/auth/token", "200"): 1,
        ("POST", "/api/v1/queue/tokens", "201"): 1,
        ("POST", "/api/v1/reservations", "201"): 1,
    }
    assert holds_after - holds_before == 1


async def test_the_web_client_is_served_at_the_root(client) -> None:
    response = await client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()


async def test_the_openapi_document_lists_every_contract_path(client) -> None:
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    missing = {
        (path, method)
        for path, methods in CONTRACT.items()
        for method in methods
        if method not in paths.get(path, {})
    }
    assert missing == set()


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v2/concerts", "/api/v1/concerts/1/nothing", "/nope"]
)
async def test_an_unknown_route_is_a_404_problem(client, path) -> None:
    response = await client.get(path)

    assert_problem(response, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/payments/"), ("GET", "/api/v1/wallet/"), ("GET", "/healthz/")],
)
async def test_a_slash_too_many_is_a_404_problem_not_a_redirect_to_the_host_named(
    client, method, path
) -> None:
    """It was a bodyless 307 whose Location was built from the request's Host header."""
    response = await client.request(method, path, headers={"Host": "evil.example"})

    assert_problem(response, 404, "NOT_FOUND")
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/concerts"),
        ("PUT", "/api/v1/wallet"),
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/wallet/charges"),
        ("PATCH", "/api/v1/reservations/1"),
        ("POST", "/healthz"),
    ],
)
async def test_a_wrong_method_is_a_405_problem(client, method, path) -> None:
    response = await client.request(method, path)

    assert_problem(response, 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize(
    "content",
    [b"{", b"{'amount': 1}", b"amount=1", b"", b"\xff\xfe", b'{"amount": 1,}'],
)
async def test_malformed_json_is_a_validation_error(client, shop, content) -> None:
    fan = await shop.sign_up()

    response = await client.post(
        "/api/v1/wallet/charges",
        content=content,
        headers={**fan.auth, "Content-Type": "application/json"},
    )

    assert_problem(response, 422, "VALIDATION_ERROR")
    assert await shop.balance(fan) == 0


async def _cache_entries(client: httpx.AsyncClient) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families((await client.get("/metrics")).text):
        for sample in family.samples:
            if sample.name == "boxoffice_process_cache_entries":
                found[sample.labels["cache"]] = sample.value
    return found


async def test_metrics_show_how_full_each_bounded_cache_is(client, shop, container) -> None:
    schedule = (await shop.date_on_sale(seat_count=3))["id"]
    fan = await shop.admitted_fan()
    waiting = await shop.sign_up()
    await shop.join(waiting)
    await shop.seat_map(fan, schedule)

    observe_caches(container)
    filled = await _cache_entries(client)
    tracked = container.waiting_room.tracked_estimates
    left = await client.delete(f"{API}/queue/tokens/current", headers=waiting.with_pass)
    observe_caches(container)
    after_leaving = await _cache_entries(client)

    assert filled["verified_access_tokens"] >= 2
    assert filled["verified_passes"] >= 2
    assert filled["seat_layout_seats"] == 3
    assert filled["wait_estimates"] == tracked >= 1
    assert left.status_code == 204
    # A pass that leaves takes its join-time estimate with it: nothing lingers for it.
    assert after_leaving["wait_estimates"] == filled["wait_estimates"] - 1


async def _sales(client: httpx.AsyncClient) -> tuple[float, float]:
    """Money paid and tickets sold, as /metrics shows them (the process's counters)."""
    found = {}
    for family in text_string_to_metric_families((await client.get("/metrics")).text):
        for sample in family.samples:
            if sample.name in ("boxoffice_money_paid_total", "boxoffice_tickets_sold_total"):
                found[sample.name] = sample.value
    return found["boxoffice_money_paid_total"], found["boxoffice_tickets_sold_total"]


async def test_a_payment_counts_its_money_and_seats_once(client, shop) -> None:
    date = await shop.date_on_sale(seat_count=3, price=7_000)
    fan = await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1, 3])
    await shop.charge(fan, 14_000)
    money_before, tickets_before = await _sales(client)

    await shop.pay(fan, held["id"], key="pay-once")
    replayed = await shop.post_payment(fan, held["id"], key="pay-once")

    assert replayed.status_code == 201  # the first answer again: nothing sold twice
    money_after, tickets_after = await _sales(client)
    assert (money_after - money_before, tickets_after - tickets_before) == (14_000, 2)
