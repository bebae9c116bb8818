"""Concurrent requests through the ASGI app: one seat, one charge, one payment, in any rush."""

from __future__ import annotations

import asyncio
from collections import Counter

from .support import assert_problem


async def test_fifty_fans_holding_one_seat_at_once_get_one_hold(shop) -> None:
    date = await shop.date_on_sale(seat_count=5)
    fans = [await shop.admitted_fan() for _ in range(50)]

    responses = await asyncio.gather(*(shop.post_hold(fan, date["id"], [3]) for fan in fans))

    assert Counter(r.status_code for r in responses) == {201: 1, 409: 49}
    for response in responses:
        if response.status_code == 409:
            assert assert_problem(response, 409, "SEAT_UNAVAILABLE")["seats"] == [3]
    winner = next(f for f, r in zip(fans, responses, strict=True) if r.status_code == 201)
    assert len((await shop.client.get("/api/v1/reservations", headers=winner.auth)).json()) == 1
    held_by_all = [
        (await shop.client.get("/api/v1/reservations", headers=f.auth)).json() for f in fans
    ]
    assert sum(len(held) for held in held_by_all) == 1
    assert (await shop.seat_map(fans[0], date["id"]))[3] == "HELD"


async def test_overlapping_multi_seat_holds_never_share_a_seat(shop) -> None:
    date = await shop.date_on_sale(seat_count=6)
    fans = [await shop.admitted_fan() for _ in range(12)]
    wanted = [[1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 1]] * 2

    responses = await asyncio.gather(
        *(shop.post_hold(fan, date["id"], seats) for fan, seats in zip(fans, wanted, strict=True))
    )

    held = [r.json()["seats"] for r in responses if r.status_code == 201]
    numbers = [seat["number"] for seats in held for seat in seats]
    assert len(numbers) == len(set(numbers))
    assert held, "some hold must win"
    assert {r.status_code for r in responses} <= {201, 409}


async def test_twenty_charges_with_one_key_move_money_once(shop) -> None:
    fan = await shop.sign_up()

    responses = await asyncio.gather(
        *(shop.post_charge(fan, 10_000, key="same-key") for _ in range(20))
    )

    assert [r.status_code for r in responses] == [201] * 20
    assert len({r.json()["transaction_id"] for r in responses}) == 1
    assert await shop.balance(fan) == 10_000
    assert len(await shop.ledger(fan)) == 1


async def test_concurrent_payments_of_one_hold_pay_once(shop) -> None:
    date = await shop.date_on_sale(price=25_000)
    fan = await shop.admitted_fan()
    reservation = await shop.hold(fan, date["id"], [1, 2])
    await shop.charge(fan, 200_000)

    responses = await asyncio.gather(
        *(shop.post_payment(fan, reservation["id"]) for _ in range(10))
    )

    codes = Counter(r.json()["code"] for r in responses if r.status_code != 201)
    assert sum(r.status_code == 201 for r in responses) == 1
    assert set(codes) <= {"QUEUE_TOKEN_EXPIRED", "RESERVATION_NOT_PAYABLE"}
    assert len(await shop.payments(fan)) == 1
    assert await shop.balance(fan) == 150_000
    assert [e["kind"] for e in await shop.ledger(fan)] == ["PAYMENT", "CHARGE"]


async def test_concurrent_payments_with_one_key_all_answer_the_one_payment(shop) -> None:
    date = await shop.date_on_sale(price=25_000)
    fan = await shop.admitted_fan()
    reservation = await shop.hold(fan, date["id"], [1])
    await shop.charge(fan, 100_000)

    responses = await asyncio.gather(
        *(shop.post_payment(fan, reservation["id"], key="pay-once") for _ in range(10))
    )

    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.json()["id"] for r in responses}) == 1
    assert await shop.balance(fan) == 75_000
    assert len(await shop.payments(fan)) == 1


async def test_a_fan_holding_from_two_tabs_stays_within_the_hold_limit(shop) -> None:
    first, second = await shop.date_on_sale(), await shop.date_on_sale()
    fan = await shop.admitted_fan()

    responses = await asyncio.gather(
        shop.post_hold(fan, first["id"], [1, 2, 3]),
        shop.post_hold(fan, second["id"], [1, 2, 3]),
    )

    assert sorted(r.status_code for r in responses) == [201, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert_problem(refused, 409, "HOLD_LIMIT_EXCEEDED")
