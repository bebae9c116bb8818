"""The organizer's live board over HTTP (`GET /api/v1/admin/board`): the last 30 minutes of the
line, minute by minute, from the room's samples and the sales in the database."""

from __future__ import annotations

from datetime import datetime

from boxoffice.board import service as board
from boxoffice.waiting_room.domain import SAMPLE_SECONDS
from tests.conftest import ADMIN, API


async def read_board(shop) -> dict:
    response = await shop.client.get(f"{API}/admin/board", headers=ADMIN)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def sample(shop) -> None:
    """The background loop's step: keep the line's figures of this time slot."""
    await board.sample_line(shop.container.store, shop.clock.now().timestamp())


async def test_the_board_needs_the_admin_key(client) -> None:
    for headers in ({}, {"X-Admin-Key": "wrong"}):
        response = await client.get(f"{API}/admin/board", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "ADMIN_UNAUTHORIZED"


async def test_an_idle_board_has_thirty_empty_minutes_ending_now(shop, clock) -> None:
    shown = await read_board(shop)

    assert shown["currency"] == "KRW"
    (line,) = shown["lines"]
    assert (line["concert_id"], line["name"]) == (None, "House line")
    minutes = line["minutes"]
    assert len(minutes) == 30
    starts = [datetime.fromisoformat(m["starts_at"]).timestamp() for m in minutes]
    assert starts == [starts[0] + 60 * i for i in range(30)]
    assert starts[-1] <= clock.now().timestamp() < starts[-1] + 60
    assert {(m["holds"], m["tickets_sold"], m["revenue"], m["holds_expired"]) for m in minutes} == {
        (0, 0, 0, 0)
    }
    assert {m["waiting"] for m in minutes} == {None}  # no sample taken yet


async def test_the_board_counts_the_sale_by_the_minute(shop, clock) -> None:
    # At the start of a minute, so that everything below but the expiry falls in it.
    clock.advance(60 - clock.now().timestamp() % 60)
    date = await shop.date_on_sale(seat_count=10, price=30_000)
    buyer, holder, _shopping = [await shop.admitted_fan() for _ in range(3)]
    await sample(shop)  # three fans admitted in all, three shopping
    bought = await shop.hold(buyer, date["id"], [1, 2])
    await shop.charge(buyer, 60_000)
    await shop.pay(buyer, bought["id"])
    await shop.hold(holder, date["id"], [5])

    first = (await read_board(shop))["lines"][0]["minutes"][-1]
    assert (first["holds"], first["tickets_sold"], first["revenue"]) == (2, 2, 60_000)
    assert first["holds_expired"] == 0
    assert first["active"] == 3

    # The hold of seat 5 runs out (300 s) unpaid: counted in the minute it ran out, swept or not.
    clock.advance(301)
    await sample(shop)
    later = (await read_board(shop))["lines"][0]["minutes"]
    assert later[-1]["holds_expired"] == 1
    assert later[-6]["holds"] == 2  # the first minute, five minutes back
    assert sum(m["tickets_sold"] for m in later) == 2


async def test_admitted_a_minute_is_the_difference_of_the_minutes_samples(shop, clock) -> None:
    clock.advance(60 - clock.now().timestamp() % 60)
    await sample(shop)  # the minute before: nobody admitted yet
    clock.advance(60)
    for _ in range(2):
        await shop.admitted_fan()
    clock.advance(SAMPLE_SECONDS)
    await sample(shop)

    minutes = (await read_board(shop))["lines"][0]["minutes"]

    assert (minutes[-2]["admitted"], minutes[-1]["admitted"]) == (None, 2)
    assert (minutes[-1]["active"], minutes[-1]["waiting"]) == (2, 0)
