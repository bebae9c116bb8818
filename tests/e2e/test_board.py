"""The organizer's live board over HTTP (`GET /api/v1/admin/board`): the last 30 minutes of each
line, minute by minute, from the line's samples and its concerts' sales in the database."""

from __future__ import annotations

from datetime import datetime

from boxoffice.board import service as board
from boxoffice.waiting_room.domain import SAMPLE_SECONDS
from tests.conftest import ADMIN, API, Shop


async def read_board(shop) -> dict:
    response = await shop.client.get(f"{API}/admin/board", headers=ADMIN)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def sample(shop) -> None:
    """The background loop's step: keep each line's figures of this time slot."""
    room = shop.container.waiting_room
    for line in (await room.lines.current()).lines():
        await board.sample_line(room.stores.of(line), shop.clock.now().timestamp())


def by_line(shown: dict) -> dict[int | None, list[dict]]:
    """Each line's minutes by its concert (None: the house line)."""
    return {line["concert_id"]: line["minutes"] for line in shown["lines"]}


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


async def two_lines(shop: Shop) -> tuple[dict, dict, dict]:
    """The dates of three concerts: Stadium with a line of its own, Matinee and Club in the
    house line. At the start of a minute, so that what follows falls in it."""
    shop.clock.advance(60 - shop.clock.now().timestamp() % 60)
    dates = []
    for title, price in (("Stadium", 30_000), ("Matinee", 20_000), ("Club", 10_000)):
        concert = await shop.create_concert(title)
        dates.append(await shop.create_date(concert["id"], seat_count=10, price=price))
    await shop.own_line(dates[0]["concert_id"], max_active=5)
    return dates[0], dates[1], dates[2]


async def test_the_house_line_comes_first_then_each_concert_s_own_named_by_its_title(
    shop, clock
) -> None:
    stadium, _, _ = await two_lines(shop)
    late = await shop.create_concert("Late Show")
    await shop.own_line(late["id"])

    shown = await read_board(shop)

    names = [(line["concert_id"], line["name"]) for line in shown["lines"]]
    assert names == [
        (None, "House line"),
        (stadium["concert_id"], "Stadium"),
        (late["id"], "Late Show"),
    ]
    for line in shown["lines"]:
        assert len(line["minutes"]) == 30
        assert line["minutes"][-1]["starts_at"] == shown["lines"][0]["minutes"][-1]["starts_at"]


async def test_each_line_counts_its_own_concerts_sale_only(shop, clock) -> None:
    stadium, matinee, club = await two_lines(shop)
    line = stadium["concert_id"]
    stadium_buyer, stadium_holder = [await shop.admitted_fan(line=line) for _ in range(2)]
    await shop.join(await shop.sign_up(), line)  # waits: not let in yet
    house_buyer, club_holder, matinee_holder = [await shop.admitted_fan() for _ in range(3)]
    await sample(shop)
    for fan, date, seats, price in (
        (stadium_buyer, stadium, [1, 2], 30_000),
        (house_buyer, matinee, [1], 20_000),
    ):
        bought = await shop.hold(fan, date["id"], seats)
        await shop.charge(fan, price * len(seats))
        await shop.pay(fan, bought["id"])
    await shop.hold(stadium_holder, stadium["id"], [5])
    await shop.hold(club_holder, club["id"], [5])
    await shop.hold(matinee_holder, matinee["id"], [6, 7])

    lines = by_line(await read_board(shop))
    assert list(lines) == [None, line]
    house, own = lines[None][-1], lines[line][-1]
    assert (own["holds"], own["tickets_sold"], own["revenue"]) == (2, 2, 60_000)
    assert (house["holds"], house["tickets_sold"], house["revenue"]) == (3, 1, 20_000)
    assert (own["waiting"], own["active"]) == (1, 2)
    assert (house["waiting"], house["active"]) == (0, 3)

    # The unpaid holds run out (300 s): each counted in its own line's minute.
    clock.advance(301)
    lines = by_line(await read_board(shop))
    assert (lines[line][-1]["holds_expired"], lines[None][-1]["holds_expired"]) == (1, 2)
    for minutes, counted in ((lines[line], (2, 2, 1)), (lines[None], (3, 1, 2))):
        in_all = [
            sum(m[field] for m in minutes) for field in ("holds", "tickets_sold", "holds_expired")
        ]
        assert tuple(in_all) == counted


async def test_each_line_is_charted_from_its_own_samples(shop, clock) -> None:
    stadium, _, _ = await two_lines(shop)
    line = stadium["concert_id"]
    await sample(shop)  # the minute before: nobody admitted yet in either line
    clock.advance(60)
    for _ in range(3):
        await shop.admitted_fan(line=line)
    await shop.admitted_fan()
    clock.advance(SAMPLE_SECONDS)
    await sample(shop)

    lines = by_line(await read_board(shop))

    assert [m["admitted"] for m in lines[line][-2:]] == [None, 3]
    assert [m["admitted"] for m in lines[None][-2:]] == [None, 1]
    assert (lines[line][-1]["active"], lines[None][-1]["active"]) == (3, 1)


async def test_a_concert_given_a_line_takes_its_sale_out_of_the_house_line(shop, clock) -> None:
    clock.advance(60 - clock.now().timestamp() % 60)
    date = await shop.date_on_sale(price=40_000)
    fan = await shop.admitted_fan()
    await shop.hold(fan, date["id"], [1])
    assert by_line(await read_board(shop))[None][-1]["holds"] == 1

    await shop.own_line(date["concert_id"])

    lines = by_line(await read_board(shop))
    assert (lines[None][-1]["holds"], lines[date["concert_id"]][-1]["holds"]) == (0, 1)
