"""A seat map read after a hold, payment, cancel or expiry made by this instance shows it at once
(contract v1.1, "Seat maps agree with the shop"), however long its maps are cached.

Other tests read their writes back with `hot_read_refresh_seconds: 0`; here a map would be read
from the database again only after ten seconds (and the clock stands still), so what a read
shows comes from the writes this process made to the map it keeps.
"""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import pytest

from boxoffice.background import sweep_once
from boxoffice.catalog.seat_map import BLOCK_SEATS
from boxoffice.settings import Settings
from tests.conftest import TEST_REDIS_URL, Shop
from tests.e2e.support import shop_of

# Seats on both sides of a block boundary, and the last seat of the date.
SEATS = 2 * BLOCK_SEATS + 3
PICKED = [2, BLOCK_SEATS + 1, SEATS]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"hot_read_seconds": 10, "hot_read_refresh_seconds": 10, "hold_seconds": 5}
    )


def states(seat_map: dict[int, str], numbers: list[int]) -> list[str]:
    return [seat_map[n] for n in numbers]


async def test_a_map_shows_each_write_made_here_at_once(client, shop) -> None:
    date = await shop.date_on_sale(seat_count=SEATS, price=1_000)
    fan, buyer = await shop.admitted_fan(), await shop.admitted_fan()
    assert states(await shop.seat_map(fan, date["id"]), PICKED) == ["AVAILABLE"] * 3

    held = await shop.hold(buyer, date["id"], PICKED[:2])
    assert states(await shop.seat_map(fan, date["id"]), PICKED) == ["HELD", "HELD", "AVAILABLE"]

    await shop.charge(buyer, 2_000)
    await shop.pay(buyer, held["id"])
    assert states(await shop.seat_map(fan, date["id"]), PICKED) == ["SOLD", "SOLD", "AVAILABLE"]

    assert (await shop.cancel(buyer, held["id"])).status_code == 200
    shown = await shop.seat_map(fan, date["id"])
    assert states(shown, PICKED) == ["AVAILABLE"] * 3
    assert list(shown.values()).count("AVAILABLE") == SEATS


async def test_a_map_shows_an_expiry_swept_here_at_once(shop, clock, settings) -> None:
    date = await shop.date_on_sale(seat_count=SEATS)
    fan, holder = await shop.admitted_fan(), await shop.admitted_fan()
    # At the start of the maps' ten-second bucket, so the hold runs out within it.
    clock.advance(settings.hot_read_seconds - clock.now().timestamp() % settings.hot_read_seconds)
    await shop.hold(holder, date["id"], [SEATS])
    assert (await shop.seat_map(fan, date["id"]))[SEATS] == "HELD"

    clock.advance(settings.hold_seconds + 1)
    assert await sweep_once(shop.container) == 1

    assert (await shop.seat_map(fan, date["id"]))[SEATS] == "AVAILABLE"


async def test_the_bytes_tags_and_gzip_stay_one_map_through_changes(client, shop) -> None:
    date = await shop.date_on_sale(seat_count=SEATS)
    fan, holder = await shop.admitted_fan(), await shop.admitted_fan()
    seats = f"/api/v1/schedules/{date['id']}/seats"
    identity = {**fan.with_pass, "Accept-Encoding": "identity"}
    zipped = {**fan.with_pass, "Accept-Encoding": "gzip"}
    before = await client.get(seats, headers=identity)

    await shop.hold(holder, date["id"], [BLOCK_SEATS])
    plain = await client.get(seats, headers=identity)
    packed = await client.get(seats, headers=zipped)

    assert plain.headers["ETag"] != before.headers["ETag"]
    assert [s["status"] for s in plain.json()].count("HELD") == 1
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.content == plain.content  # httpx decoded it
    assert packed.headers["ETag"] != plain.headers["ETag"]
    unchanged = await client.get(
        seats, headers={**identity, "If-None-Match": plain.headers["ETag"]}
    )
    assert unchanged.status_code == 304
    # The gzip member itself is well formed (checked apart from httpx's decoder).
    async with client.stream("GET", seats, headers=zipped) as streamed:
        encoded = b"".join([chunk async for chunk in streamed.aiter_raw()])
    assert gzip.decompress(encoded) == plain.content


async def test_a_date_list_shows_a_date_added_here_at_once(client, shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    dates = f"/api/v1/concerts/{date['concert_id']}/schedules"
    listed = await client.get(dates, headers=fan.with_pass)
    assert [d["id"] for d in listed.json()] == [date["id"]]

    added = await shop.create_date(date["concert_id"])

    listed = await client.get(dates, headers=fan.with_pass)
    assert [d["id"] for d in listed.json()] == [date["id"], added["id"]]


async def _exchange_news(shop: Shop) -> None:
    """One turn of the instance's seat-news loop (background.seat_news_loop), by hand."""
    news = shop.container.listings.news
    assert news is not None
    for change in await news.exchange():
        shop.container.listings.apply(change, news=True)


@pytest.mark.skipif(TEST_REDIS_URL is None, reason="seat news passes through Redis")
async def test_news_never_hides_a_write_made_here(shop, settings, clock) -> None:
    """A fan cancels a hold on instance B, and another holds the seat on instance A: B's news of
    the cancel reaches A after A's own hold, and A showed the seat free, the fan's own seat
    they had just been told was theirs (found by review, 2026-12-07). News now shows only on
    seats no write of the instance changed since its map was read; B, which freed the seat,
    shows it so until its map's next read, within the second."""
    async with shop_of(settings, clock) as other:
        date = await shop.date_on_sale(seat_count=10)
        first, second = await shop.admitted_fan(), await shop.admitted_fan()
        for instance in (shop, other, shop):  # each instance's stream read from now on
            await _exchange_news(instance)
        held = await other.hold(first, date["id"], [5])
        await _exchange_news(other)
        await _exchange_news(shop)
        assert (await shop.seat_map(second, date["id"]))[5] == "HELD"
        assert (await other.seat_map(first, date["id"]))[5] == "HELD"  # each has its map

        assert (await other.cancel(first, held["id"])).status_code == 200
        bought = await shop.hold(second, date["id"], [5])
        assert (await shop.seat_map(second, date["id"]))[5] == "HELD"
        await _exchange_news(other)  # B tells its cancel ...
        await _exchange_news(shop)  # ... and A hears it after its own hold

        assert (await shop.seat_map(second, date["id"]))[5] == "HELD"
        await shop.charge(second, bought["amount"])
        await shop.pay(second, bought["id"])
        await _exchange_news(shop)
        await _exchange_news(other)  # B hears of A's sale: its own cancel stands ...
        assert (await other.seat_map(first, date["id"]))[5] == "AVAILABLE"
        clock.advance(settings.hot_read_seconds)  # ... until its map is read again
        assert (await other.seat_map(first, date["id"]))[5] == "SOLD"


def _held_up(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The next hold of `shop` waits for the event once its pass is checked (as one waits for a
    pooled connection, a batch or a lock): it begins before and writes after."""
    room = shop.container.waiting_room
    covers = room.require_covers
    go = asyncio.Event()
    waiting = [True]

    async def held_up(*args: Any, **kwargs: Any) -> Any:
        if waiting.pop() if waiting else False:
            await go.wait()
        return await covers(*args, **kwargs)

    monkeypatch.setattr(room, "require_covers", held_up)
    return go


async def test_a_hold_begun_before_a_cancel_of_its_seat_and_written_after_shows_here(
    shop, monkeypatch
) -> None:
    """Writes here show in the order they are written, whenever their requests began (review of
    a first fix that ordered them by when they began)."""
    date = await shop.date_on_sale(seat_count=10)
    first, second = await shop.admitted_fan(), await shop.admitted_fan()
    held = await shop.hold(first, date["id"], [5])
    assert (await shop.seat_map(second, date["id"]))[5] == "HELD"

    go = _held_up(shop, monkeypatch)
    holding = asyncio.create_task(shop.post_hold(second, date["id"], [5]))
    await asyncio.sleep(0.05)
    assert (await shop.cancel(first, held["id"])).status_code == 200
    go.set()
    answer = await holding

    assert answer.status_code == 201, answer.text
    assert (await shop.seat_map(second, date["id"]))[5] == "HELD"


@pytest.mark.skipif(TEST_REDIS_URL is None, reason="seat news passes through Redis")
async def test_news_of_a_write_in_flight_when_the_map_was_read_shows(
    shop, settings, clock, monkeypatch
) -> None:
    async with shop_of(settings, clock) as other:
        date = await shop.date_on_sale(seat_count=10)
        fan, other_fan = await shop.admitted_fan(), await shop.admitted_fan()
        for instance in (shop, other, shop):
            await _exchange_news(instance)
        go = _held_up(other, monkeypatch)
        holding = asyncio.create_task(other.post_hold(other_fan, date["id"], [5]))
        await asyncio.sleep(0.05)
        assert (await shop.seat_map(fan, date["id"]))[5] == "AVAILABLE"  # read: still free
        go.set()
        assert (await holding).status_code == 201
        await _exchange_news(other)
        await _exchange_news(shop)

        assert (await shop.seat_map(fan, date["id"]))[5] == "HELD"
