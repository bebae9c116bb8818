"""Best available seats over HTTP (contract v1.1): `POST /reservations {schedule_id, quantity,
section?}` holds the best free seats, all or none, with the guarantees of named seats."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from boxoffice.catalog.repository import CatalogRepository
from tests.conftest import API, Fan, Shop

TIERS = [
    {"name": "Stand", "seat_count": 6, "price": 50_000},  # seats 1-6
    {"name": "Floor", "seat_count": 6, "price": 90_000},  # seats 7-12
]


async def best(shop: Shop, fan: Fan, schedule_id: int, **fields: Any) -> httpx.Response:
    return await shop.client.post(
        f"{API}/reservations", json={"schedule_id": schedule_id, **fields}, headers=fan.with_pass
    )


async def tiered_date(shop: Shop) -> int:
    concert = await shop.create_concert()
    return int((await shop.create_date(concert["id"], price_tiers=TIERS))["id"])


def numbers(answer: httpx.Response) -> list[int]:
    return [seat["number"] for seat in answer.json()["seats"]]


async def test_the_best_seats_are_a_run_in_the_dearest_section_with_room(shop) -> None:
    date = await tiered_date(shop)
    fan, other = await shop.admitted_fan(), await shop.admitted_fan()
    await shop.hold(other, date, [8])  # Floor free: 7, 9, 10, 11, 12

    answer = await best(shop, fan, date, quantity=3)

    assert answer.status_code == 201, answer.text
    assert numbers(answer) == [9, 10, 11]
    assert answer.json()["amount"] == 3 * 90_000
    assert answer.json()["status"] == "HELD"
    shown = await shop.seat_map(fan, date)
    floor = [shown[n] for n in (7, 9, 10, 11, 12)]
    assert floor == ["AVAILABLE", "HELD", "HELD", "HELD", "AVAILABLE"]


async def test_a_named_section_and_a_full_one(shop) -> None:
    date = await tiered_date(shop)
    fan, other = await shop.admitted_fan(), await shop.admitted_fan()
    await shop.hold(other, date, [7, 9, 11])  # Floor free: 8, 10, 12: no run of two

    in_stand = await best(shop, fan, date, quantity=2, section="Stand")
    closest = await best(shop, other, date, quantity=1)

    assert numbers(in_stand) == [1, 2]
    assert numbers(closest) == [8]


async def test_without_enough_free_seats_nothing_is_held(shop) -> None:
    date = await tiered_date(shop)
    fan = await shop.admitted_fan()
    takers = [await shop.admitted_fan() for _ in range(3)]
    for taker, seats in zip(takers, ([7, 8, 9, 10], [11, 12, 1, 2], [3, 4, 5]), strict=True):
        await shop.hold(taker, date, seats)

    in_floor = await best(shop, fan, date, quantity=1, section="Floor")
    anywhere = await best(shop, fan, date, quantity=2)
    last = await best(shop, fan, date, quantity=1)

    for refused in (in_floor, anywhere):
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "SEAT_UNAVAILABLE"
        assert refused.json()["seats"] == []
        assert "Fewer than" in refused.json()["detail"]
    assert numbers(last) == [6]
    held = await shop.client.get(f"{API}/reservations", headers=fan.auth)
    assert [r["seats"] for r in held.json()] == [[{"number": 6, "price": 50_000}]]


@pytest.mark.parametrize(
    ("fields", "code", "status"),
    [
        ({"quantity": 1, "section": "Balcony"}, "SECTION_NOT_FOUND", 422),
        ({"quantity": 5}, "HOLD_LIMIT_EXCEEDED", 409),  # past max_seats_per_reservation (4)
        ({"quantity": 0}, "VALIDATION_ERROR", 422),
        ({"quantity": 2, "seat_numbers": [1, 2]}, "VALIDATION_ERROR", 422),
        ({}, "VALIDATION_ERROR", 422),
        ({"seat_numbers": [1], "section": "Floor"}, "VALIDATION_ERROR", 422),
        ({"quantity": "2"}, "VALIDATION_ERROR", 422),
    ],
)
async def test_a_bad_best_seat_request_holds_nothing(shop, fields, code, status) -> None:
    date = await tiered_date(shop)
    fan = await shop.admitted_fan()

    answer = await best(shop, fan, date, **fields)

    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code
    assert (await shop.client.get(f"{API}/reservations", headers=fan.auth)).json() == []


async def test_best_seats_need_an_active_pass_and_a_date_on_sale(shop, clock) -> None:
    date = await tiered_date(shop)
    fan = await shop.admitted_fan()
    no_pass = await shop.client.post(
        f"{API}/reservations", json={"schedule_id": date, "quantity": 1}, headers=fan.auth
    )
    unknown = await best(shop, fan, 999_999, quantity=1)
    clock.advance(31 * 24 * 3600)  # past the date (and the pass: a new one)
    late_fan = await shop.admitted_fan()
    closed = await best(shop, late_fan, date, quantity=1)

    assert no_pass.json()["code"] == "QUEUE_TOKEN_INVALID"
    assert (unknown.status_code, unknown.json()["code"]) == (404, "SCHEDULE_NOT_FOUND")
    assert (closed.status_code, closed.json()["code"]) == (409, "SCHEDULE_CLOSED")


async def test_a_pick_taken_meanwhile_is_undone_and_picked_again(shop, monkeypatch) -> None:
    """The read of what is free can be older than the hold (another process took a seat in
    between): that attempt is SHORT, and what it wrote is undone before the next pick."""
    date = await tiered_date(shop)
    fan, other = await shop.admitted_fan(), await shop.admitted_fan()
    await shop.hold(other, date, [7])
    reads = 0
    real = CatalogRepository.taken_seats

    async def first_read_misses_seat_7(self, schedule_id, now):  # type: ignore[no-untyped-def]
        nonlocal reads
        reads += 1
        taken = await real(self, schedule_id, now)
        return {} if reads == 1 else taken

    monkeypatch.setattr(CatalogRepository, "taken_seats", first_read_misses_seat_7)

    answer = await best(shop, fan, date, quantity=2)

    assert answer.status_code == 201, answer.text
    assert (reads, numbers(answer)) == (2, [8, 9])
    async with shop.container.engine.connect() as connection:
        rows = await connection.execute(text("SELECT count(*) FROM reservation"))
        seats = await connection.execute(text("SELECT count(*) FROM reservation_seat"))
        assert (rows.scalar_one(), seats.scalar_one()) == (2, 3)  # nothing of the first try
    shown = await shop.seat_map(fan, date)
    assert [n for n, state in shown.items() if state != "AVAILABLE"] == [7, 8, 9]
