"""Abuse limits on the waiting room over HTTP: per account, per IP, and poll pacing.

Each test turns on the limits it is about (`overrides`, on top of the shared test settings) and
every other one off. The embedded limiter follows the service clock; the Redis one keeps time
with key TTLs on the Redis server, so waiting out a pace there takes a real (half-second) sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI

from boxoffice.bootstrap import Container
from boxoffice.platform.rate_limit import RedisRateLimiter
from boxoffice.settings import Settings

from .support import assert_problem

if TYPE_CHECKING:
    from tests.conftest import Fan, Shop

JOIN = "/api/v1/queue/tokens"
STATUS = "/api/v1/queue/status"
LEAVE = "/api/v1/queue/tokens/current"
ROOM = "/api/v1/admin/queue"
WINDOW_SECONDS = 60

NO_LIMITS = {
    "join_limit_per_account": 0,
    "status_limit_per_account": 0,
    "queue_limit_per_ip": 0,
    "poll_pace_ratio": 0,
}


@pytest.fixture
def overrides() -> dict[str, Any]:
    """The limits a test turns on; tests parametrize this."""
    return {}


@pytest.fixture
def settings(settings: Settings, overrides: dict[str, Any]) -> Settings:
    return settings.model_copy(update={**NO_LIMITS, **overrides})


def limits(**values: Any) -> pytest.MarkDecorator:
    """Run the test with these limits on."""
    name = ",".join(f"{key}={value}" for key, value in values.items())
    return pytest.mark.parametrize("overrides", [values], ids=[name])


def retry_after(response: httpx.Response) -> int:
    """The 429's Retry-After: whole seconds, at least one."""
    value = response.headers["Retry-After"]
    assert value.isdigit(), value
    assert int(value) >= 1
    return int(value)


def assert_rate_limited(response: httpx.Response, *, at_most: int = WINDOW_SECONDS) -> int:
    assert_problem(response, 429, "RATE_LIMITED")
    seconds = retry_after(response)
    assert seconds <= at_most, seconds
    return seconds


async def room(shop: Shop) -> dict[str, Any]:
    """The admin's view of the room (a read: GET, not the PUT of `shop.set_queue_policy`)."""
    admin_key = shop.container.settings.admin_key
    assert admin_key is not None
    response = await shop.client.get(ROOM, headers={"X-Admin-Key": admin_key.get_secret_value()})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def wait_out(shop: Shop, seconds: float) -> None:
    """Let `seconds` pass for the limiter: the service clock, and on Redis the real one too."""
    shop.clock.advance(seconds)
    if isinstance(shop.container.limiter, RedisRateLimiter):
        await asyncio.sleep(seconds)


class CountingStore:
    """The waiting-room store with a count of every call made through it."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return counted


@pytest.fixture
def counting_store(container: Container, monkeypatch: pytest.MonkeyPatch) -> CountingStore:
    """Counts what the fans' requests ask of the store (admission in tests goes around it)."""
    counting = CountingStore(container.waiting_room.stores.house)
    monkeypatch.setattr(container.waiting_room.stores, "house", counting)
    return counting


@pytest.fixture
async def other_address(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client from another IP address than the `client` fixture's 127.0.0.1."""
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=False, client=("203.0.113.7", 4321)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


# Per account


@limits(join_limit_per_account=2)
async def test_joining_too_often_is_429_with_retry_after_and_creates_no_pass(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    fan = await shop.sign_up()
    for _ in range(2):
        await shop.join(fan)
        assert (await client.delete(LEAVE, headers=fan.with_pass)).status_code == 204

    refused = await client.post(JOIN, headers=fan.auth)

    assert_rate_limited(refused)
    assert (await room(shop))["waiting"] == 0
    assert_problem(await client.get(STATUS, headers=fan.with_pass), 401, "QUEUE_TOKEN_EXPIRED")
    # The limit is the account's: another fan joins as usual.
    other = await shop.sign_up()
    assert (await shop.join(other))["position"] == 1
    assert (await room(shop))["waiting"] == 1


@limits(join_limit_per_account=1)
async def test_joining_again_with_a_live_pass_counts_and_keeps_the_place(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    ahead, fan = await shop.sign_up(), await shop.sign_up()
    await shop.join(ahead)
    joined = await shop.join(fan)

    assert_rate_limited(await client.post(JOIN, headers=fan.auth))

    assert await shop.queue_status(fan) == joined
    assert (await room(shop))["waiting"] == 2


@limits(join_limit_per_account=1)
async def test_each_line_counts_the_joins_made_in_it(client: httpx.AsyncClient, shop: Shop) -> None:
    stadium = (await shop.create_concert("Stadium"))["id"]
    await shop.own_line(stadium)
    fan = await shop.sign_up()
    await shop.join(fan)  # the house line's allowance
    assert (await shop.join(fan, stadium))["position"] == 1  # the stadium line's own

    assert_rate_limited(await client.post(JOIN, headers=fan.auth))
    assert_rate_limited(await client.post(JOIN, json={"concert_id": stadium}, headers=fan.auth))
    # A refused join still names a concert that must exist: a 404, not a 429.
    missing = await client.post(JOIN, json={"concert_id": 999_999}, headers=fan.auth)
    assert_problem(missing, 404, "CONCERT_NOT_FOUND")


@limits(status_limit_per_account=3)
async def test_polling_status_too_often_is_429_and_the_place_is_kept(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    ahead, fan = await shop.sign_up(), await shop.sign_up()
    await shop.join(ahead)
    await shop.join(fan)
    polls = [await shop.queue_status(fan) for _ in range(3)]
    assert [poll["position"] for poll in polls] == [2, 2, 2]

    refused = await client.get(STATUS, headers=fan.with_pass)

    assert_rate_limited(refused)
    assert "place in line is kept" in refused.json()["detail"]
    # Joining is another limit: it answers the same pass in the same place.
    again = await client.post(JOIN, headers=fan.auth)
    assert again.status_code == 200
    assert (again.json()["token"], again.json()["position"]) == (fan.queue_token, 2)
    # And the limit is this account's alone.
    assert (await shop.queue_status(ahead))["position"] == 1


@limits(status_limit_per_account=2)
async def test_the_status_limit_covers_active_passes_too(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    fan = await shop.admitted_fan()  # one status poll, to see it ACTIVE
    assert (await shop.queue_status(fan))["status"] == "ACTIVE"

    assert_rate_limited(await client.get(STATUS, headers=fan.with_pass))


# Per IP


@limits(queue_limit_per_ip=3)
async def test_one_address_is_limited_across_accounts_and_endpoints(
    client: httpx.AsyncClient, other_address: httpx.AsyncClient, shop: Shop
) -> None:
    first, second, third = [await shop.sign_up() for _ in range(3)]
    await shop.join(first)
    await shop.join(second)
    await shop.queue_status(first)  # the address's third request to the waiting room

    assert_rate_limited(await client.post(JOIN, headers=third.auth))
    assert_rate_limited(await client.get(STATUS, headers=second.with_pass))

    assert (await room(shop))["waiting"] == 2
    # From another address the same account gets in, behind the two.
    joined = await other_address.post(JOIN, headers=third.auth)
    assert joined.status_code == 201, joined.text
    assert joined.json()["position"] == 3
    assert (await other_address.get(STATUS, headers=first.with_pass)).json()["position"] == 1


@limits(queue_limit_per_ip=2)
async def test_the_address_limit_leaves_the_rest_of_the_api_alone(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    await shop.queue_status(fan)
    assert_rate_limited(await client.get(STATUS, headers=fan.with_pass))

    # Signing up, logging in and the admin's room are not waiting-room requests.
    other = await shop.sign_up()
    assert other.auth
    assert (await room(shop))["waiting"] == 1


# Poll pacing


@limits(poll_pace_ratio=0.5)
async def test_polling_sooner_than_advised_is_429_without_touching_the_line(
    client: httpx.AsyncClient, shop: Shop, counting_store: CountingStore
) -> None:
    ahead, fan = await shop.sign_up(), await shop.sign_up()
    await shop.join(ahead)
    await shop.join(fan)
    first = await shop.queue_status(fan)
    assert (first["status"], first["position"], first["poll_after_seconds"]) == ("WAITING", 2, 1)
    before = await room(shop)
    counting_store.calls.clear()

    refused = await client.get(STATUS, headers=fan.with_pass)

    # Paced for poll_after x 0.5 = half a second, which Retry-After rounds up to one.
    assert assert_rate_limited(refused, at_most=1) == 1
    # One step in the store, which refuses before it reads the line (the contract suite holds
    # both stores to that), and nothing else.
    assert counting_store.calls == ["poll"]
    assert await room(shop) == before

    await wait_out(shop, 0.5)
    counting_store.calls.clear()

    assert await shop.queue_status(fan) == first
    assert counting_store.calls == ["poll"]  # an accepted poll is one step too


@limits(poll_pace_ratio=1)
async def test_the_pace_grows_with_the_advised_poll_interval(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    await shop.set_queue_policy(admit_per_minute=6)  # one fan every ten seconds
    fans = [await shop.sign_up() for _ in range(4)]
    for fan in fans:
        await shop.join(fan)
    last = await shop.queue_status(fans[-1])
    # 4th in line: 40 s to wait, so polled every 13 s; the first (10 s) every 3 s.
    assert (last["position"], last["estimated_wait_seconds"], last["poll_after_seconds"]) == (
        4,
        40,
        13,
    )
    assert (await shop.queue_status(fans[0]))["poll_after_seconds"] == 3

    assert assert_rate_limited(await client.get(STATUS, headers=fans[-1].with_pass)) == 13
    assert assert_rate_limited(await client.get(STATUS, headers=fans[0].with_pass)) == 3


@limits(poll_pace_ratio=0.5)
async def test_pacing_leaves_joining_and_other_fans_alone(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    fan, other = await shop.sign_up(), await shop.sign_up()
    await shop.join(fan)
    await shop.join(other)
    await shop.queue_status(fan)
    assert_rate_limited(await client.get(STATUS, headers=fan.with_pass))

    again = await client.post(JOIN, headers=fan.auth)
    assert (again.status_code, again.json()["position"]) == (200, 1)
    assert (await shop.queue_status(other))["position"] == 2


@limits(poll_pace_ratio=0.5)
async def test_an_active_pass_is_not_paced(client: httpx.AsyncClient, shop: Shop) -> None:
    fan = await shop.admitted_fan()

    polls = [await client.get(STATUS, headers=fan.with_pass) for _ in range(5)]

    assert [poll.status_code for poll in polls] == [200] * 5
    assert {poll.json()["status"] for poll in polls} == {"ACTIVE"}


# Under load


@limits(status_limit_per_account=5, poll_pace_ratio=0)
async def test_concurrent_polls_pass_exactly_up_to_the_limit_and_never_fail(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)

    answers = await asyncio.gather(*(client.get(STATUS, headers=fan.with_pass) for _ in range(30)))

    assert sorted({answer.status_code for answer in answers}) == [200, 429]
    assert sum(answer.status_code == 200 for answer in answers) == 5
    for answer in answers:
        if answer.status_code == 429:
            assert_rate_limited(answer)


@limits(join_limit_per_account=3)
async def test_concurrent_joins_make_one_pass_and_the_rest_are_refused(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    fan = await shop.sign_up()

    answers = await asyncio.gather(*(client.post(JOIN, headers=fan.auth) for _ in range(12)))

    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200, 200, 201] + [429] * 9
    assert len({answer.json()["token"] for answer in answers if answer.status_code < 300}) == 1
    for answer in answers:
        if answer.status_code == 429:
            assert_rate_limited(answer)
    assert (await room(shop))["waiting"] == 1


@limits(join_limit_per_account=1, status_limit_per_account=1, queue_limit_per_ip=1000)
async def test_every_refusal_is_a_429_problem_never_a_500(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    fans: list[Fan] = [await shop.sign_up() for _ in range(3)]
    for fan in fans:
        await shop.join(fan)
        await shop.queue_status(fan)

    answers = [
        await client.request(method, path, headers=fan.with_pass)
        for fan in fans
        for method, path in (("POST", JOIN), ("GET", STATUS)) * 3
    ]

    assert {answer.status_code for answer in answers} == {429}
    for answer in answers:
        assert_rate_limited(answer)
