"""The catalog over HTTP: the public concert list, a concert's dates and a date's seats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .support import assert_problem, utc

ODD_IDS = ["abc", "-1", "0", "1.5", "99999999999999999999", "%20", "1e3", "12abc", "424242"]


async def test_the_concert_list_is_public(client, shop) -> None:
    created = await shop.create_concert("Winter Gala", venue="Hall", description="One night.")

    response = await client.get("/api/v1/concerts")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": created["id"],
            "title": "Winter Gala",
            "venue": "Hall",
            "description": "One night.",
            "created_at": created["created_at"],
        }
    ]


async def test_the_concert_list_starts_empty(client) -> None:
    response = await client.get("/api/v1/concerts")

    assert response.status_code == 200
    assert response.json() == []


async def test_a_concert_lists_its_reservable_dates_in_order(client, shop) -> None:
    concert = await shop.create_concert()
    later = await shop.create_date(concert["id"], starts_in=timedelta(days=40), seat_count=5)
    sooner = await shop.create_date(concert["id"], starts_in=timedelta(days=20), seat_count=3)
    fan = await shop.admitted_fan()

    response = await client.get(
        f"/api/v1/concerts/{concert['id']}/schedules", headers=fan.with_pass
    )

    assert response.status_code == 200
    dates = response.json()
    assert [d["id"] for d in dates] == [sooner["id"], later["id"]]
    assert dates[0] == {
        "id": sooner["id"],
        "concert_id": concert["id"],
        "starts_at": sooner["starts_at"],
        "total_seats": 3,
        "available_seats": 3,
    }
    assert utc(dates[0]["starts_at"]) == shop.clock.now() + timedelta(days=20)


async def test_past_and_sold_out_dates_are_listed_only_with_all(client, shop) -> None:
    concert = await shop.create_concert()
    past = await shop.create_date(concert["id"], starts_in=timedelta(days=-1))
    sold_out = await shop.create_date(concert["id"], starts_in=timedelta(days=5), seat_count=1)
    open_date = await shop.create_date(concert["id"], starts_in=timedelta(days=9))
    fan = await shop.admitted_fan()
    await shop.hold(fan, sold_out["id"], [1])
    path = f"/api/v1/concerts/{concert['id']}/schedules"

    reservable = (await client.get(path, headers=fan.with_pass)).json()
    everything = (await client.get(path, params={"all": "true"}, headers=fan.with_pass)).json()

    assert [d["id"] for d in reservable] == [open_date["id"]]
    assert [d["id"] for d in everything] == [past["id"], sold_out["id"], open_date["id"]]
    assert everything[1]["available_seats"] == 0


@pytest.mark.parametrize("concert_id", ODD_IDS)
async def test_an_unknown_concert_of_any_shape_is_404(client, shop, concert_id) -> None:
    fan = await shop.admitted_fan()

    response = await client.get(f"/api/v1/concerts/{concert_id}/schedules", headers=fan.with_pass)

    assert_problem(response, 404, "CONCERT_NOT_FOUND")


async def test_seats_are_ordered_by_number_with_prices_by_tier(client, shop) -> None:
    concert = await shop.create_concert()
    date = await shop.create_date(
        concert["id"],
        price_tiers=[
            {"name": "VIP", "seat_count": 2, "price": 150_000},
            {"name": "R", "seat_count": 3, "price": 100_000},
        ],
    )
    fan = await shop.admitted_fan()

    response = await client.get(f"/api/v1/schedules/{date['id']}/seats", headers=fan.with_pass)

    assert response.status_code == 200
    seats = response.json()
    assert [(s["number"], s["price"], s["status"]) for s in seats] == [
        (1, 150_000, "AVAILABLE"),
        (2, 150_000, "AVAILABLE"),
        (3, 100_000, "AVAILABLE"),
        (4, 100_000, "AVAILABLE"),
        (5, 100_000, "AVAILABLE"),
    ]
    assert all(seat["id"] is not None for seat in seats)


async def test_seats_show_held_and_sold(shop) -> None:
    date = await shop.date_on_sale(seat_count=3, price=1_000)
    buyer = await shop.admitted_fan()
    holder = await shop.admitted_fan()
    bought = await shop.hold(buyer, date["id"], [1])
    await shop.charge(buyer, 1_000)
    await shop.pay(buyer, bought["id"])

    await shop.hold(holder, date["id"], [3])

    assert await shop.seat_map(holder, date["id"]) == {1: "SOLD", 2: "AVAILABLE", 3: "HELD"}


async def test_a_seat_map_the_fan_already_has_is_304_with_no_body(client, shop) -> None:
    date = await shop.date_on_sale(seat_count=3)
    fan = await shop.admitted_fan()
    seats = f"/api/v1/schedules/{date['id']}/seats"
    first = await client.get(seats, headers=fan.with_pass)
    etag = first.headers["ETag"]

    again = await client.get(seats, headers={**fan.with_pass, "If-None-Match": etag})
    weak = await client.get(seats, headers={**fan.with_pass, "If-None-Match": f'"x", W/{etag}'})
    other = await client.get(seats, headers={**fan.with_pass, "If-None-Match": '"x"'})

    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", etag)
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert weak.status_code == 304
    assert (other.status_code, other.content) == (200, first.content)


async def test_a_changed_seat_map_has_a_new_tag(client, shop, clock) -> None:
    date = await shop.date_on_sale(seat_count=3)
    fan, other = await shop.admitted_fan(), await shop.admitted_fan()
    seats = f"/api/v1/schedules/{date['id']}/seats"
    before = await client.get(seats, headers=fan.with_pass)
    await shop.hold(other, date["id"], [2])
    clock.advance(1)  # past the second a map is cached for

    after = await client.get(
        seats, headers={**fan.with_pass, "If-None-Match": before.headers["ETag"]}
    )

    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert [seat["status"] for seat in after.json()] == ["AVAILABLE", "HELD", "AVAILABLE"]


async def test_a_large_seat_map_is_gzipped_for_a_client_that_takes_it(client, shop) -> None:
    date = await shop.date_on_sale(seat_count=100)
    fan = await shop.admitted_fan()
    seats = f"/api/v1/schedules/{date['id']}/seats"
    plain = await client.get(seats, headers={**fan.with_pass, "Accept-Encoding": "identity"})
    zipped = await client.get(seats, headers={**fan.with_pass, "Accept-Encoding": "gzip"})

    again = await client.get(
        seats,
        headers={
            **fan.with_pass,
            "Accept-Encoding": "gzip",
            "If-None-Match": zipped.headers["ETag"],
        },
    )
    plain_with_zipped_tag = await client.get(
        seats,
        headers={
            **fan.with_pass,
            "Accept-Encoding": "identity",
            "If-None-Match": zipped.headers["ETag"],
        },
    )

    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert int(zipped.headers["Content-Length"]) < len(plain.content) / 4
    assert zipped.json() == plain.json()  # httpx decodes it
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert plain.headers["Vary"] == zipped.headers["Vary"] == "Accept-Encoding"
    assert (again.status_code, again.content) == (304, b"")
    assert plain_with_zipped_tag.status_code == 200


async def test_a_refused_seat_map_request_is_refused_whatever_its_tag(client, shop) -> None:
    date = await shop.date_on_sale(seat_count=3)
    fan = await shop.admitted_fan()
    seats = f"/api/v1/schedules/{date['id']}/seats"

    response = await client.get(seats, headers={**fan.auth, "If-None-Match": "*"})

    assert_problem(response, 401, "QUEUE_TOKEN_INVALID")


@pytest.mark.parametrize("schedule_id", ODD_IDS)
async def test_an_unknown_date_of_any_shape_is_404(client, shop, schedule_id) -> None:
    fan = await shop.admitted_fan()

    response = await client.get(f"/api/v1/schedules/{schedule_id}/seats", headers=fan.with_pass)

    assert_problem(response, 404, "SCHEDULE_NOT_FOUND")
