"""The waiting room's store lost whole (a new, empty Redis; a restarted embedded server): the
line is not lost with it. Fans presenting their passes get their places back, in join order;
nobody who joined later gets ahead; a pass given up or paid with never comes back.

On PostgreSQL + Redis the loss is the room's keys deleted under the running app; on the
embedded default, a new app (a restarted process) on the same database file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from boxoffice.app import create_app
from boxoffice.settings import Settings
from tests.conftest import ADMIN, API, TEST_REDIS_URL, Fan, Shop
from tests.e2e.support import assert_problem
from tests.servers import drop_room_async


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One fan shops at a time, by the settings: the policy a room starts from, also anew."""
    return settings.model_copy(update={"queue_max_active": 1})


@pytest.fixture
async def lose_store() -> AsyncIterator[AsyncExitStack]:
    """Where the apps started after a loss live until the test ends."""
    async with AsyncExitStack() as apps:
        yield apps


async def _after_the_loss(shop: Shop, settings: Settings, apps: AsyncExitStack) -> Shop:
    """The shop once its waiting room's store is gone: same database, empty store.

    A moment passes first, as it does between a store's loss and its new start: a room knows
    the passes it did not issue by their having joined before its first place.
    """
    shop.clock.advance(1)
    if settings.redis_url:
        await drop_room_async(settings.redis_url, settings.queue_room)
        return shop
    app: FastAPI = create_app(settings, clock=shop.clock, background=False)
    await apps.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = await apps.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://test")
    )
    return Shop(client, app.state.container, shop.clock)


def _restored_total() -> float:
    return REGISTRY.get_sample_value("boxoffice_queue_restored_total") or 0.0


async def _status(shop: Shop, fan: Fan) -> httpx.Response:
    return await shop.client.get(f"{API}/queue/status", headers=fan.with_pass)


async def test_fans_get_their_places_back_in_join_order_and_only_once(
    shop: Shop, settings: Settings, lose_store: AsyncExitStack
) -> None:
    buyer = await shop.admitted_fan()
    first, second, third, leaver = [await shop.sign_up() for _ in range(4)]
    for fan in (first, second, third, leaver):
        await shop.join(fan)
    date = await shop.date_on_sale(seat_count=2, price=10_000)
    await shop.charge(buyer, 10_000)
    await shop.pay(buyer, (await shop.hold(buyer, date["id"], [1]))["id"])
    left = await shop.client.delete(f"{API}/queue/tokens/current", headers=leaver.with_pass)
    assert left.status_code == 204
    restored = _restored_total()

    shop = await _after_the_loss(shop, settings, lose_store)

    # The third comes back first, then the first: each takes its own place, not the next one.
    assert (await shop.queue_status(third))["position"] == 1
    assert (await shop.queue_status(first))["position"] == 1
    assert (await shop.queue_status(third))["position"] == 2
    newcomer = await shop.sign_up("came_after_the_loss")
    assert (await shop.join(newcomer))["position"] == 3
    assert (await shop.queue_status(second))["position"] == 2
    assert [(await shop.queue_status(f))["position"] for f in (first, third, newcomer)] == [1, 3, 4]
    # Given up, or used up by a payment: gone for good.
    for gone in (leaver, buyer):
        assert_problem(await _status(shop, gone), 401, "QUEUE_TOKEN_EXPIRED")
    assert _restored_total() == restored + 3

    # Nobody is let in while the rest of the line may still be on its way back...
    assert await shop.admit() == []
    shop.clock.advance(settings.queue_recovery_seconds)
    # ...then the head of the line as it was.
    assert await shop.admit() == [_pass_id(shop, first)]
    assert (await shop.queue_status(first))["status"] == "ACTIVE"
    assert [(await shop.queue_status(f))["position"] for f in (second, third, newcomer)] == [
        1,
        2,
        3,
    ]


def _pass_id(shop: Shop, fan: Fan) -> str:
    assert fan.queue_token is not None
    claims = shop.container.signer.read_pass(fan.queue_token)
    assert claims is not None
    return claims.pass_id


async def test_a_restored_pass_given_up_again_does_not_come_back(
    shop: Shop, settings: Settings, lose_store: AsyncExitStack
) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    shop = await _after_the_loss(shop, settings, lose_store)
    assert (await shop.queue_status(fan))["position"] == 1

    left = await shop.client.delete(f"{API}/queue/tokens/current", headers=fan.with_pass)

    assert left.status_code == 204
    assert_problem(await _status(shop, fan), 401, "QUEUE_TOKEN_EXPIRED")


async def test_a_pass_left_before_the_loss_stays_gone_after_a_second_loss(
    shop: Shop, settings: Settings, lose_store: AsyncExitStack
) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    left = await shop.client.delete(f"{API}/queue/tokens/current", headers=fan.with_pass)
    assert left.status_code == 204
    shop = await _after_the_loss(shop, settings, lose_store)
    assert_problem(await _status(shop, fan), 401, "QUEUE_TOKEN_EXPIRED")
    shop = await _after_the_loss(shop, settings, lose_store)
    assert_problem(await _status(shop, fan), 401, "QUEUE_TOKEN_EXPIRED")


@pytest.mark.skipif(
    TEST_REDIS_URL is None, reason="the in-process room's policy is lost with its process"
)
async def test_the_admins_policy_comes_back_with_the_first_step_after_the_loss(
    shop: Shop, settings: Settings, lose_store: AsyncExitStack
) -> None:
    changed = await shop.set_queue_policy(max_active=7, admit_per_minute=90, claim_seconds=20)

    shop = await _after_the_loss(shop, settings, lose_store)

    room = (await shop.client.get(f"{API}/admin/queue", headers=ADMIN)).json()
    assert room["policy"] == changed["policy"]
    assert room["waiting"] == room["active"] == 0


async def test_a_concert_lines_pass_comes_back_to_its_own_line(
    shop: Shop, settings: Settings, lose_store: AsyncExitStack
) -> None:
    concert = (await shop.create_concert("Own line"))["id"]
    await shop.own_line(concert)
    house_fan, line_fan, later = [await shop.sign_up() for _ in range(3)]
    await shop.join(house_fan)
    await shop.join(line_fan, concert)
    await shop.join(later, concert)

    shop = await _after_the_loss(shop, settings, lose_store)

    # Each pass waits again in the line it names, at its own place there.
    back = await shop.queue_status(later)
    assert back["concert_id"] == concert
    assert back["position"] == 1
    assert (await shop.queue_status(line_fan))["position"] == 1
    assert (await shop.queue_status(house_fan))["position"] == 1
    assert (await shop.queue_status(house_fan))["concert_id"] is None
    shop.clock.advance(settings.queue_recovery_seconds)
    assert await shop.admit(concert) == [_pass_id(shop, line_fan)]


async def test_a_payment_in_one_line_does_not_spend_the_fans_pass_of_another(
    shop: Shop, settings: Settings, lose_store: AsyncExitStack
) -> None:
    concert = (await shop.create_concert("Own line"))["id"]
    date = await shop.create_date(concert, seat_count=2, price=10_000)
    await shop.own_line(concert)
    buyer = await shop.sign_up()
    await shop.charge(buyer, 10_000)
    blocker = await shop.admitted_fan()  # takes the house line's one slot
    await shop.join(buyer)  # waits in the house line...
    house_pass = buyer.queue_token
    await shop.join(buyer, concert)  # ...and is let in by the concert's own line
    await shop.admit(concert)
    await shop.pay(buyer, (await shop.hold(buyer, date["id"], [1]))["id"])
    assert blocker.queue_token is not None

    shop = await _after_the_loss(shop, settings, lose_store)

    buyer.queue_token = house_pass
    back = await shop.queue_status(buyer)  # the house pass was not what the payment used up
    assert back["status"] == "WAITING"
    assert back["concert_id"] is None


async def test_a_pass_of_a_line_that_ended_does_not_come_back(
    shop: Shop, settings: Settings, lose_store: AsyncExitStack
) -> None:
    concert = (await shop.create_concert("Own line"))["id"]
    await shop.own_line(concert)
    fan = await shop.sign_up()
    await shop.join(fan, concert)
    shop = await _after_the_loss(shop, settings, lose_store)
    given_up = await shop.client.delete(f"{API}/admin/concerts/{concert}/queue", headers=ADMIN)
    assert given_up.status_code == 204
    shop.clock.advance(shop.container.waiting_room.lines.end_grace_seconds)
    # The lost room looks empty: the line ends, and nothing would admit a pass put back in it.
    assert await shop.container.waiting_room.end_if_empty(concert, shop.clock.now().timestamp())

    assert_problem(await _status(shop, fan), 401, "QUEUE_TOKEN_EXPIRED")
