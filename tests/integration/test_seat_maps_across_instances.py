"""Seat maps agree with the shop across instances (contract v1.1): a map read on the instance
that made a hold, payment or cancel shows it at once; a map read on another shows it within one
second. Both instances have the map cached before each write, with the shipped settings (maps
read from the database once a second, date lists at most every 0.2 s after a write); and again
with maps read from the database only every ten seconds, where only the seat news the instances
pass each other through Redis (catalog/seat_news.py) can bring the other instance the write.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.cluster import API, Cluster, start_cluster, stop_cluster
from tests.integration.fans import Fan, admit_all, close_all, create_date

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

# The other instance is read this often until it shows the write: no read sent a second or
# more after the write's answer may show the seat as it was.
POLL_SECONDS = 0.05


@pytest.fixture(scope="module", params=["shipped", "news-only"])
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    slow = {"hot_read_seconds": 10, "hot_read_refresh_seconds": 10}
    running = start_cluster(2, **(slow if request.param == "news-only" else {}))
    yield running
    stop_cluster(running)


def both_instances(cluster: Cluster, username: str) -> list[Fan]:
    """One fan, with a client on each instance (`cluster.base_urls` order)."""
    return [
        Fan(httpx.AsyncClient(base_url=url, timeout=60.0), username) for url in cluster.base_urls
    ]


async def seat_state(fan: Fan, schedule: int, number: int) -> str:
    answer = await fan.client.get(f"{API}/schedules/{schedule}/seats", headers=fan.headers)
    assert answer.status_code == 200, answer.text
    states = {seat["number"]: seat["status"] for seat in answer.json()}
    return str(states[number])


async def last_stale_read(fan: Fan, schedule: int, number: int, state: str) -> float | None:
    """Read until the seat shows `state`; when (monotonic) the last read that did not was sent."""
    stale = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sent = time.monotonic()
        if await seat_state(fan, schedule, number) == state:
            return stale
        stale = sent
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError(f"seat {number} never showed {state}")


async def test_a_write_shows_here_at_once_and_on_the_other_instance_within_a_second(
    cluster: Cluster,
) -> None:
    schedule = await create_date(cluster, seats=600, price=1_000)
    suffix = uuid.uuid4().hex[:6]
    here_buyer, there_buyer = both_instances(cluster, f"buyer-{suffix}")
    here_watcher, there_watcher = both_instances(cluster, f"watcher-{suffix}")
    fans = [here_buyer, there_buyer, here_watcher, there_watcher]
    try:
        for here, there in ((here_buyer, there_buyer), (here_watcher, there_watcher)):
            await here.sign_up()
            await admit_all([here])
            there.access, there.queue_token = here.access, here.queue_token
        charged = await here_buyer.charge(10_000)
        assert charged.status_code == 201, charged.text

        for action, state in (("hold", "HELD"), ("pay", "SOLD"), ("cancel", "AVAILABLE")):
            # Both instances have the map cached and show the seat as it was.
            for watcher in (here_watcher, there_watcher):
                assert await seat_state(watcher, schedule, 300) != state
            if action == "hold":
                answer = await here_buyer.hold(schedule, [299, 300])
                reservation = answer.json()["id"]
            elif action == "pay":
                answer = await here_buyer.pay(reservation)
            else:
                answer = await here_buyer.client.post(
                    f"{API}/reservations/{reservation}/cancel", headers=here_buyer.headers
                )
            answered = time.monotonic()
            assert answer.status_code in (200, 201), answer.text

            assert await seat_state(here_watcher, schedule, 300) == state, action
            stale_there = await last_stale_read(there_watcher, schedule, 300, state)
            late = 0.0 if stale_there is None else stale_there - answered
            print(f"\n[seat map] {action}: last stale read on the other instance at {late:.3f} s")
            assert late < 1.0, (action, late)
    finally:
        await close_all(fans)
