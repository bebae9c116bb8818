"""A dependency that is down, slow or restarted: fans get 503 + Retry-After in time, never a 500
or a hang, and a fault that is over is not seen at all.

The fault suite (`tests/faults/`) plays the same faults against real servers of its own; these
are the in-process checks that run with every `make test`, on both backends.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from boxoffice.bootstrap import default_policy
from boxoffice.platform.rate_limit import Limit
from boxoffice.settings import Settings
from boxoffice.waiting_room.domain import PassView
from boxoffice.waiting_room.store_memory import MemoryWaitingRoomStore
from tests.conftest import TEST_DATABASE_URL, Fan, SettableClock, Shop
from tests.e2e.support import assert_problem, shop_of
from tests.servers import free_port

API = "/api/v1"
DEADLINE = 0.5
# The wrong behaviour takes HANG seconds; a right answer comes within the deadline. The margin
# between them (several seconds) is what a busy machine may take, not a tuned figure.
HANG = 30.0
ANSWERED_WITHIN = 10.0


def _faults(dependency: str, kind: str) -> float:
    labels = {"dependency": dependency, "kind": kind}
    return REGISTRY.get_sample_value("boxoffice_dependency_faults_total", labels) or 0.0


class _HangingStore(MemoryWaitingRoomStore):
    """A waiting room that never answers a join, as a Redis behind a dead link would not."""

    async def join(
        self, user_id: int, pass_id: str, now: float, limits: Sequence[Limit] = ()
    ) -> tuple[PassView, bool]:
        await asyncio.sleep(HANG)
        raise AssertionError("the deadline should have cut this off")


@contextmanager
def _silent_listener() -> Iterator[int]:
    """A port that accepts connections and never says a word: a server that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


async def test_a_request_past_its_deadline_answers_503_with_retry_after(
    settings: Settings, clock: SettableClock
) -> None:
    settings = settings.model_copy(update={"request_deadline_seconds": DEADLINE})
    store = _HangingStore(default_policy(settings))
    before = _faults("any", "deadline")

    async with shop_of(settings, clock, store=store) as shop:
        fan = await shop.sign_up()
        started = time.monotonic()
        response = await shop.client.post(f"{API}/queue/tokens", headers=fan.auth)
        elapsed = time.monotonic() - started
        # The process is not stuck: the next request is served as usual.
        concerts = await shop.client.get(f"{API}/concerts")

    assert_problem(response, 503, "SERVICE_UNAVAILABLE")
    assert response.headers["retry-after"] == "1"
    assert DEADLINE <= elapsed < ANSWERED_WITHIN, elapsed
    assert _faults("any", "deadline") == before + 1
    assert concerts.status_code == 200


async def test_a_database_that_refuses_connections_answers_503_not_500(
    settings: Settings, clock: SettableClock
) -> None:
    closed = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/boxoffice"
    broken = settings.model_copy(update={"database_url": closed})
    before = _faults("postgresql", "unavailable")

    async with shop_of(broken, clock) as shop:
        response = await shop.client.get(f"{API}/concerts")

    assert_problem(response, 503, "SERVICE_UNAVAILABLE")
    assert response.headers["retry-after"] == "1"
    assert _faults("postgresql", "unavailable") == before + 1


async def test_a_database_that_never_answers_is_503_within_the_deadline(
    settings: Settings, clock: SettableClock
) -> None:
    with _silent_listener() as port:
        hanging = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/boxoffice"
        broken = settings.model_copy(
            update={"database_url": hanging, "request_deadline_seconds": DEADLINE}
        )
        async with shop_of(broken, clock) as shop:
            started = time.monotonic()
            response = await shop.client.get(f"{API}/concerts")
            elapsed = time.monotonic() - started
            ready = await shop.client.get("/readyz")

    assert_problem(response, 503, "SERVICE_UNAVAILABLE")
    assert elapsed < ANSWERED_WITHIN, elapsed
    problem = assert_problem(ready, 503, "NOT_READY")
    assert problem["checks"]["database"] in {"timeout", "TimeoutError"}, problem
    assert problem["checks"]["waiting_room"] == "ok", problem


async def test_readyz_names_each_dependency(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "waiting_room": "ok"},
    }


class _SilentStore(MemoryWaitingRoomStore):
    async def ping(self) -> bool:
        return False


async def test_readyz_says_which_dependency_is_down(
    settings: Settings, clock: SettableClock
) -> None:
    async with shop_of(settings, clock, store=_SilentStore(default_policy(settings))) as shop:
        response = await shop.client.get("/readyz")

    problem = assert_problem(response, 503, "NOT_READY")
    assert problem["checks"] == {"database": "ok", "waiting_room": "no answer"}
    assert response.headers["retry-after"] == "1"


@asynccontextmanager
async def _every_connection_taken(shop: Shop) -> AsyncIterator[None]:
    """Every pooled connection of the shop's database and of its Redis (if any) checked out,
    as a rush keeps them: a request then waits its turn for one."""
    pool = shop.container.engine.pool
    size = pool.size() + max(pool._max_overflow, 0)  # type: ignore[attr-defined]
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(size):
            await stack.enter_async_context(shop.container.engine.connect())
        client = getattr(shop.container.store, "_client", None)
        if client is not None:
            redis_pool = client.connection_pool
            taken = [await redis_pool.get_connection() for _ in range(redis_pool.max_connections)]
            stack.push_async_callback(
                lambda: asyncio.gather(*(redis_pool.release(c) for c in taken))
            )
        yield


async def test_readyz_is_ready_while_a_rush_holds_every_pooled_connection(
    settings: Settings, clock: SettableClock
) -> None:
    """Under a rush every pooled connection is busy and a probe would wait behind the requests
    for one: a balancer that then saw "not ready" from every instance at once would take them
    all out. A dependency that answered the requests lately is ready without a probe."""
    small = settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "redis_pool_size": 1,
            # A probe would take 2 s to time out, and answers count for 2 s.
            "request_deadline_seconds": 4.0,
        }
    )
    async with shop_of(small, clock) as shop:
        fan = await shop.sign_up(f"ready_{uuid.uuid4().hex[:8]}")  # the database answers
        await shop.join(fan)  # the waiting room's store answers
        async with _every_connection_taken(shop):
            started = time.monotonic()
            response = await shop.client.get("/readyz")
            elapsed = time.monotonic() - started

    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "waiting_room": "ok"}
    assert elapsed < 1.0, elapsed


async def _admin_connection(database_url: str) -> asyncpg.Connection:
    url = make_url(database_url).set(drivername="postgresql")
    return await asyncpg.connect(url.render_as_string(hide_password=False))


async def _terminate(database_url: str, pids: set[int], *, wait_gone: bool) -> None:
    """End these backends, as a restart or failover does; with `wait_gone`, until they are."""
    admin = await _admin_connection(database_url)
    try:
        await admin.execute("SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid", pids)
        deadline = time.monotonic() + ANSWERED_WITHIN
        while wait_gone and time.monotonic() < deadline:
            alive = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids
            )
            if alive == 0:
                # Let this event loop read the closed sockets, as it would between requests.
                await asyncio.sleep(0.05)
                return
            await asyncio.sleep(0.01)
    finally:
        await admin.close()


@asynccontextmanager
async def _pool_on_terminated_backends(
    settings: Settings, clock: SettableClock, *, wait_gone: bool
) -> AsyncIterator[Shop]:
    """A shop whose every pooled connection's server backend has been terminated."""
    async with shop_of(settings, clock) as shop:
        engine = shop.container.engine

        async def pooled_backend() -> int:
            # Each holds its connection a moment, so that the next one takes another.
            async with engine.connect() as connection:
                pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                await asyncio.sleep(0.1)
                return int(pid)

        pids = set(await asyncio.gather(*(pooled_backend() for _ in range(settings.db_pool_size))))
        assert len(pids) == settings.db_pool_size
        await _terminate(settings.effective_database_url, pids, wait_gone=wait_gone)
        yield shop


async def _reads(shop: Shop, count: int) -> list[httpx.Response]:
    return list(await asyncio.gather(*(shop.client.get(f"{API}/concerts") for _ in range(count))))


@pytest.mark.skipif(TEST_DATABASE_URL is None, reason="pooled connections are PostgreSQL's")
async def test_pooled_connections_the_server_closed_are_replaced_at_checkout(
    settings: Settings, clock: SettableClock
) -> None:
    """After a PostgreSQL restart or failover every pooled connection is dead at once."""
    stale, retried = _faults("postgresql", "stale_connection"), _faults("postgresql", "retried")

    async with _pool_on_terminated_backends(settings, clock, wait_gone=True) as shop:
        answers = await _reads(shop, 2 * settings.db_pool_size)

    assert [a.status_code for a in answers] == [200] * len(answers), [a.text for a in answers]
    # Each dead connection was found at checkout, before any statement was sent on it.
    assert _faults("postgresql", "stale_connection") >= stale + settings.db_pool_size
    assert _faults("postgresql", "retried") == retried


@pytest.mark.skipif(TEST_DATABASE_URL is None, reason="pooled connections are PostgreSQL's")
async def test_a_read_whose_connection_dies_after_checkout_is_served_again(
    settings: Settings, clock: SettableClock
) -> None:
    """The connection passes the checkout and dies before its first statement, as one does
    when the server goes away at that instant: the read runs again, and the fan never knows."""
    retried = _faults("postgresql", "retried")

    reads = 5
    async with shop_of(settings, clock) as shop:
        checkouts = 0

        def cut_every_other_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            # Reads go one at a time: each one's first connection is cut, its second is not.
            nonlocal checkouts
            checkouts += 1
            if checkouts % 2 == 1:
                dbapi_connection.driver_connection._transport.abort()

        event.listen(shop.container.engine.sync_engine, "checkout", cut_every_other_checkout)
        answers = [await shop.client.get(f"{API}/concerts") for _ in range(reads)]

    assert [a.status_code for a in answers] == [200] * reads, [a.text for a in answers]
    assert checkouts == 2 * reads
    assert _faults("postgresql", "retried") == retried + reads


def _counted(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


@dataclass
class _CutOff:
    """A payment answered 503 at its deadline, its statement waiting on the fan's wallet, which
    `admin` holds until `release`."""

    fan: Fan
    date: dict[str, Any]
    hold: dict[str, Any]
    answer: httpx.Response
    admin: asyncpg.Connection

    async def release(self) -> None:
        await self.admin.execute("ROLLBACK")
        await self.admin.close()


_CUT_DEADLINE = 2.0


def _cut(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"request_deadline_seconds": _CUT_DEADLINE, "db_pool_size": 1, "db_max_overflow": 0}
    )


async def _pay_past_the_deadline(shop: Shop, database_url: str | None) -> _CutOff:
    """The payment waits for the pool's one connection, then its statement waits on the fan's
    wallet past the request's deadline. Each statement has a deadline of its own as long as the
    request's: it starts late enough to end after the request's and within its own."""
    fan = await shop.admitted_fan(f"cut_{uuid.uuid4().hex[:8]}")
    date = await shop.date_on_sale(seat_count=4, price=30_000)
    await shop.charge(fan, 100_000)
    hold = await shop.hold(fan, date["id"], [1])
    assert database_url is not None
    admin = await _admin_connection(database_url)
    await admin.execute("BEGIN")
    await admin.execute("SELECT 1 FROM wallet WHERE user_id = $1 FOR UPDATE", fan.id)
    hog = await shop.container.engine.connect()  # the pool's one connection
    await hog.execute(text("SELECT 1"))
    paying = asyncio.create_task(shop.post_payment(fan, hold["id"], key="pay-1"))
    await asyncio.sleep(_CUT_DEADLINE * 0.75)
    await hog.close()  # the payment takes it, and waits on the wallet
    answer = await asyncio.wait_for(asyncio.shield(paying), ANSWERED_WITHIN)
    assert_problem(answer, 503, "SERVICE_UNAVAILABLE")
    return _CutOff(fan, date, hold, answer, admin)


async def _pass_refused(shop: Shop, fan: Fan) -> httpx.Response:
    """The fan's pass once it is refused (used up), or as it still is after ANSWERED_WITHIN."""
    for _ in range(int(ANSWERED_WITHIN / 0.05)):
        status = await shop.client.get(f"{API}/queue/status", headers=fan.with_pass)
        if status.status_code != 200:
            break
        await asyncio.sleep(0.05)
    return status


@pytest.mark.skipif(TEST_DATABASE_URL is None, reason="a payment waits on a row lock on PostgreSQL")
async def test_a_payment_cut_off_by_its_deadline_after_it_went_through_uses_up_its_pass(
    settings: Settings, clock: SettableClock
) -> None:
    """The payment commits after the fan was told 503: the pass that paid is used up and the
    sale counted all the same, once (the pass stayed active and bought again, and the sale was
    never counted, until 2026-12-07)."""
    sold, paid = _counted("boxoffice_tickets_sold_total"), _counted("boxoffice_money_paid_total")
    async with shop_of(_cut(settings), clock) as shop:
        cut = await _pay_past_the_deadline(shop, settings.database_url)
        await cut.release()  # past the request's deadline: the statement goes on
        fan, date, hold = cut.fan, cut.date, cut.hold

        assert_problem(await _pass_refused(shop, fan), 401, "QUEUE_TOKEN_EXPIRED")
        assert (await shop.reservation(fan, hold["id"]))["status"] == "CONFIRMED"
        assert _counted("boxoffice_tickets_sold_total") == sold + 1
        assert _counted("boxoffice_money_paid_total") == paid + 30_000

        retry = await shop.post_payment(fan, hold["id"], key="pay-1")
        assert retry.status_code == 201, retry.text
        another = await shop.post_hold(fan, date["id"], [2])
        assert_problem(another, 401, "QUEUE_TOKEN_EXPIRED")
        assert await shop.balance(fan) == 70_000
    assert _counted("boxoffice_tickets_sold_total") == sold + 1


@pytest.mark.skipif(TEST_DATABASE_URL is None, reason="a payment waits on a row lock on PostgreSQL")
async def test_an_instance_that_stops_lets_a_cut_off_payment_finish_first(
    settings: Settings, clock: SettableClock
) -> None:
    """The instance stops (a rolling restart) while a payment answered 503 still waits on the
    wallet: it closed its connections under it, and the payment committed with its pass never
    used up (review of the fix above)."""
    async with shop_of(_cut(settings), clock) as shop:
        cut = await _pay_past_the_deadline(shop, settings.database_url)
        releasing = asyncio.create_task(_after(0.3, cut.release()))
    # The server's loop ends after its lifespan: asyncio.run cancels every task still there.
    for task in asyncio.all_tasks() - {asyncio.current_task(), releasing}:
        task.cancel()
    await releasing
    await asyncio.sleep(0.5)  # what the lock held back goes through

    async with shop_of(settings, clock) as again:
        assert (await again.reservation(cut.fan, cut.hold["id"]))["status"] == "CONFIRMED"
        status = await again.client.get(f"{API}/queue/status", headers=cut.fan.with_pass)
        assert_problem(status, 401, "QUEUE_TOKEN_EXPIRED")


async def _after(seconds: float, then: Awaitable[None]) -> None:
    await asyncio.sleep(seconds)
    await then
