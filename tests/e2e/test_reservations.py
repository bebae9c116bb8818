"""Reservations over HTTP: all-or-nothing holds, their limits, expiry, lookup and cancel."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from boxoffice import background
from boxoffice.background import sweep_once
from boxoffice.reservations.domain import ReservationStatus
from boxoffice.reservations.repository import ReservationRepository
from tests.conftest import API, TEST_DATABASE_URL

from .support import assert_problem, utc

RESERVATIONS = "/api/v1/reservations"


async def test_a_hold_answers_201_held_with_seats_amount_and_deadline(shop) -> None:
    concert = await shop.create_concert()
    date = await shop.create_date(
        concert["id"],
        price_tiers=[
            {"name": "VIP", "seat_count": 2, "price": 150_000},
            {"name": "R", "seat_count": 8, "price": 100_000},
        ],
    )
    fan = await shop.admitted_fan()

    response = await shop.post_hold(fan, date["id"], [3, 2])

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "HELD"
    assert body["schedule_id"] == date["id"]
    assert body["seats"] == [{"number": 2, "price": 150_000}, {"number": 3, "price": 100_000}]
    assert body["amount"] == 250_000
    hold_seconds = shop.container.settings.hold_seconds
    assert utc(body["held_until"]) == shop.clock.now() + timedelta(seconds=hold_seconds)
    assert utc(body["created_at"]) == shop.clock.now()
    seats = await shop.seat_map(fan, date["id"])
    assert (seats[2], seats[3], seats[4]) == ("HELD", "HELD", "AVAILABLE")


async def test_a_taken_seat_is_409_naming_it_and_nothing_else_is_held(client, shop) -> None:
    date = await shop.date_on_sale()
    first, second = await shop.admitted_fan(), await shop.admitted_fan()
    await shop.hold(first, date["id"], [3])

    response = await shop.post_hold(second, date["id"], [2, 3, 4])

    problem = assert_problem(response, 409, "SEAT_UNAVAILABLE")
    assert problem["seats"] == [3]
    seats = await shop.seat_map(second, date["id"])
    assert (seats[2], seats[3], seats[4]) == ("AVAILABLE", "HELD", "AVAILABLE")
    assert (await client.get(RESERVATIONS, headers=second.auth)).json() == []
    assert (await shop.hold(second, date["id"], [2, 4]))["status"] == "HELD"


async def test_a_seat_held_by_oneself_is_unavailable_too(shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    await shop.hold(fan, date["id"], [1])

    response = await shop.post_hold(fan, date["id"], [1])

    assert assert_problem(response, 409, "SEAT_UNAVAILABLE")["seats"] == [1]


async def test_a_sold_seat_is_unavailable(shop) -> None:
    date = await shop.date_on_sale(price=1_000)
    buyer, other = await shop.admitted_fan(), await shop.admitted_fan()
    reservation = await shop.hold(buyer, date["id"], [5])
    await shop.charge(buyer, 1_000)
    await shop.pay(buyer, reservation["id"])

    response = await shop.post_hold(other, date["id"], [5])

    assert assert_problem(response, 409, "SEAT_UNAVAILABLE")["seats"] == [5]


@pytest.mark.parametrize(
    "seats", [[11], [10, 11], [1, 99], [0], [-1, 1], [100_001], [2**31], [2**53 - 1]]
)
async def test_a_seat_number_the_date_does_not_have_is_422(client, shop, seats) -> None:
    date = await shop.date_on_sale(seat_count=10)
    fan = await shop.admitted_fan()

    response = await shop.post_hold(fan, date["id"], seats)

    assert_problem(response, 422, "SEAT_NOT_FOUND")
    assert set((await shop.seat_map(fan, date["id"])).values()) == {"AVAILABLE"}
    assert (await client.get(RESERVATIONS, headers=fan.auth)).json() == []


async def test_an_unknown_date_is_404(shop) -> None:
    fan = await shop.admitted_fan()

    response = await shop.post_hold(fan, 424242, [1])

    assert_problem(response, 404, "SCHEDULE_NOT_FOUND")


async def test_a_date_in_the_past_is_closed(shop) -> None:
    concert = await shop.create_concert()
    past = await shop.create_date(concert["id"], starts_in=timedelta(hours=-1))
    fan = await shop.admitted_fan()

    response = await shop.post_hold(fan, past["id"], [1])

    assert_problem(response, 409, "SCHEDULE_CLOSED")


async def test_a_date_closes_when_it_starts(shop) -> None:
    concert = await shop.create_concert()
    date = await shop.create_date(concert["id"], starts_in=timedelta(minutes=5))
    fan = await shop.admitted_fan()
    await shop.seat_map(fan, date["id"])

    shop.clock.advance(timedelta(minutes=5).total_seconds())

    assert_problem(await shop.post_hold(fan, date["id"], [1]), 409, "SCHEDULE_CLOSED")


@pytest.mark.parametrize("best_seats", [False, True], ids=["named seats", "best seats"])
async def test_a_hold_made_just_before_the_date_starts_runs_out_when_it_starts(
    shop, best_seats: bool
) -> None:
    """A date is sold until it starts: a hold made in its last minute (holds last 5) cannot be
    paid once the show is on. (It once could, up to five minutes into it.)"""
    concert = await shop.create_concert()
    date = await shop.create_date(concert["id"], starts_in=timedelta(minutes=1), price=1_000)
    fan = await shop.admitted_fan()
    await shop.charge(fan, 10_000)
    body = {"schedule_id": date["id"]} | ({"quantity": 1} if best_seats else {"seat_numbers": [1]})
    held = await shop.client.post(f"{API}/reservations", json=body, headers=fan.with_pass)
    assert held.status_code == 201, held.text
    hold = held.json()

    assert hold["held_until"] == date["starts_at"]
    assert (await shop.reservation(fan, hold["id"]))["held_until"] == date["starts_at"]
    shop.clock.advance(timedelta(minutes=1).total_seconds())
    paid = await shop.post_payment(fan, hold["id"])

    assert_problem(paid, 409, "HOLD_EXPIRED")
    assert await shop.balance(fan) == 10_000


async def test_more_seats_than_one_reservation_may_hold_is_409(client, shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()

    response = await shop.post_hold(fan, date["id"], [1, 2, 3, 4, 5])

    assert_problem(response, 409, "HOLD_LIMIT_EXCEEDED")
    assert (await client.get(RESERVATIONS, headers=fan.auth)).json() == []


async def test_more_seats_held_at_once_than_the_limit_is_409(shop) -> None:
    first = await shop.date_on_sale()
    second = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    await shop.hold(fan, first["id"], [1, 2, 3])

    response = await shop.post_hold(fan, second["id"], [1, 2])

    assert_problem(response, 409, "HOLD_LIMIT_EXCEEDED")
    assert (await shop.seat_map(fan, second["id"]))[1] == "AVAILABLE"
    assert (await shop.hold(fan, second["id"], [1]))["status"] == "HELD"


async def test_paid_and_cancelled_holds_no_longer_count_to_the_limit(shop) -> None:
    date = await shop.date_on_sale(price=1_000)
    fan = await shop.admitted_fan()
    paid = await shop.hold(fan, date["id"], [1, 2])
    cancelled = await shop.hold(fan, date["id"], [3, 4])
    await shop.charge(fan, 2_000)
    await shop.pay(fan, paid["id"])
    await shop.cancel(fan, cancelled["id"])
    await shop.join(fan)
    await shop.admit()

    held = await shop.hold(fan, date["id"], [5, 6, 7, 8])

    assert held["status"] == "HELD"


async def test_reservations_are_listed_newest_first(client, shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    older = await shop.hold(fan, date["id"], [1])
    shop.clock.advance(1)
    newer = await shop.hold(fan, date["id"], [2])

    response = await client.get(RESERVATIONS, headers=fan.auth)

    assert response.status_code == 200
    assert [r["id"] for r in response.json()] == [newer["id"], older["id"]]
    assert response.json()[0] == newer


async def test_a_reservation_reads_back_as_held(shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1, 2])

    assert await shop.reservation(fan, held["id"]) == held


async def test_another_fans_reservation_is_never_shown(client, shop) -> None:
    date = await shop.date_on_sale()
    owner, other = await shop.admitted_fan(), await shop.admitted_fan()
    held = await shop.hold(owner, date["id"], [1])

    read = await client.get(f"{RESERVATIONS}/{held['id']}", headers=other.auth)
    cancel = await shop.cancel(other, held["id"])

    assert_problem(read, 404, "RESERVATION_NOT_FOUND")
    assert_problem(cancel, 404, "RESERVATION_NOT_FOUND")
    assert (await client.get(RESERVATIONS, headers=other.auth)).json() == []
    assert (await shop.reservation(owner, held["id"]))["status"] == "HELD"


@pytest.mark.parametrize("reservation_id", ["424242", "abc", "-1", "0", "99999999999999999999"])
async def test_an_absent_reservation_of_any_shape_is_404(client, shop, reservation_id) -> None:
    fan = await shop.sign_up()

    read = await client.get(f"{RESERVATIONS}/{reservation_id}", headers=fan.auth)
    cancel = await shop.cancel(fan, reservation_id)

    assert_problem(read, 404, "RESERVATION_NOT_FOUND")
    assert_problem(cancel, 404, "RESERVATION_NOT_FOUND")


async def test_a_404_names_a_long_id_cut_short(client, shop) -> None:
    """The detail echoed the whole path segment: 60,000 digits made a 60 KB answer."""
    fan = await shop.sign_up()

    read = await client.get(f"{RESERVATIONS}/{'9' * 60_000}", headers=fan.auth)

    problem = assert_problem(read, 404, "RESERVATION_NOT_FOUND")
    assert problem["detail"] == f"There is no reservation '{'9' * 40}...'."
    assert len(read.content) < 500


async def test_an_expired_hold_frees_its_seats_at_once(shop) -> None:
    date = await shop.date_on_sale()
    first, second = await shop.admitted_fan(), await shop.admitted_fan()
    held = await shop.hold(first, date["id"], [1, 2])
    assert (await shop.seat_map(second, date["id"]))[1] == "HELD"

    shop.clock.advance(shop.container.settings.hold_seconds)

    assert (await shop.seat_map(second, date["id"]))[1] == "AVAILABLE"
    assert (await shop.reservation(first, held["id"]))["status"] == "EXPIRED"
    again = await shop.hold(second, date["id"], [1, 2])
    assert again["status"] == "HELD"
    assert (await shop.reservation(first, held["id"]))["status"] == "EXPIRED"


async def test_a_hold_is_live_until_its_last_second(shop) -> None:
    date = await shop.date_on_sale()
    first, second = await shop.admitted_fan(), await shop.admitted_fan()
    held = await shop.hold(first, date["id"], [1])
    await shop.seat_map(second, date["id"])

    shop.clock.advance(shop.container.settings.hold_seconds - 1)

    assert (await shop.reservation(first, held["id"]))["status"] == "HELD"
    assert_problem(await shop.post_hold(second, date["id"], [1]), 409, "SEAT_UNAVAILABLE")


async def _stored_states(shop, reservation_id: int) -> tuple[str, list[tuple[str, object]]]:
    async with shop.container.engine.connect() as connection:
        status = (
            await connection.execute(
                text("SELECT status FROM reservation WHERE id = :id"), {"id": reservation_id}
            )
        ).scalar_one()
        seats = (
            await connection.execute(
                text(
                    "SELECT s.status, s.reservation_id FROM seat s JOIN reservation_seat rs "
                    "ON rs.seat_id = s.id WHERE rs.reservation_id = :id ORDER BY s.number"
                ),
                {"id": reservation_id},
            )
        ).all()
    return status, [tuple(row) for row in seats]


async def test_a_cancel_retried_with_its_key_gets_the_first_answer_and_refunds_once(shop) -> None:
    """Cancelling a booking moves money, and the contract's money-moving POSTs take an
    Idempotency-Key: a cancel whose answer was lost answered 409 "cancelled already" when
    retried, so the fan could not tell it had been refunded (found by review)."""
    date = await shop.date_on_sale(price=20_000)
    fan = await shop.admitted_fan()
    await shop.charge(fan, 40_000)
    booked = await shop.hold(fan, date["id"], [1])
    other = await shop.hold(fan, date["id"], [2])
    await shop.pay(fan, booked["id"])
    cancel = f"{API}/reservations/{booked['id']}/cancel"
    keyed = {**fan.auth, "Idempotency-Key": "cancel-1"}

    first = await shop.client.post(cancel, headers=keyed)
    again = await shop.client.post(cancel, headers=keyed)
    elsewhere = await shop.client.post(f"{API}/reservations/{other['id']}/cancel", headers=keyed)
    unkeyed = await shop.cancel(fan, booked["id"])

    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert again.content == first.content
    assert first.json()["status"] == "CANCELLED"
    assert_problem(elsewhere, 409, "IDEMPOTENCY_KEY_REUSED")
    assert_problem(unkeyed, 409, "RESERVATION_NOT_CANCELLABLE")
    assert await shop.balance(fan) == 40_000  # refunded once
    assert (await shop.reservation(fan, other["id"]))["status"] == "HELD"


@pytest.mark.parametrize(("later", "cancellable"), [(599, True), (600, False)])
async def test_a_booking_can_be_cancelled_until_its_date_starts(shop, later, cancellable) -> None:
    """Bookings were refunded in full after the show (found by review): a booking is given back
    while its date may still be sold, as a hold is taken."""
    concert = await shop.create_concert()
    date = await shop.create_date(concert["id"], starts_in=timedelta(seconds=600), price=20_000)
    fan = await shop.admitted_fan()
    await shop.charge(fan, 20_000)
    booked = await shop.hold(fan, date["id"], [1])
    await shop.pay(fan, booked["id"])
    shop.clock.advance(later)

    answer = await shop.cancel(fan, booked["id"])

    if cancellable:
        assert answer.status_code == 200, answer.text
        assert await shop.balance(fan) == 20_000
    else:
        assert_problem(answer, 409, "RESERVATION_NOT_CANCELLABLE")
        assert "has started" in answer.json()["detail"]
        assert (await shop.reservation(fan, booked["id"]))["status"] == "CONFIRMED"
        assert await shop.balance(fan) == 0


async def test_a_sweep_that_fails_midway_counts_the_batches_it_committed(shop, monkeypatch) -> None:
    """Each batch of lapsed holds commits on its own: the metric counts it then, not after the
    whole sweep (a failure midway left committed expiries uncounted; found by review)."""
    date = await shop.date_on_sale()
    fans = [await shop.admitted_fan() for _ in range(3)]
    for seat, fan in enumerate(fans, start=1):
        await shop.hold(fan, date["id"], [seat])
    shop.clock.advance(shop.container.settings.hold_seconds + 1)
    monkeypatch.setattr(background, "SWEEP_BATCH", 1)
    expire = ReservationRepository.expire_lapsed
    calls = 0

    async def third_fails(self: ReservationRepository, now: datetime, batch: int) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the database went away")
        return await expire(self, now, batch)

    monkeypatch.setattr(ReservationRepository, "expire_lapsed", third_fails)
    counted = REGISTRY.get_sample_value("boxoffice_holds_expired_total") or 0.0

    with pytest.raises(RuntimeError):
        await sweep_once(shop.container)

    assert (REGISTRY.get_sample_value("boxoffice_holds_expired_total") or 0.0) == counted + 2


async def test_the_sweeper_marks_lapsed_holds_expired_and_frees_their_seats(shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    lapsing = await shop.hold(fan, date["id"], [1, 2])
    assert await sweep_once(shop.container) == 0

    shop.clock.advance(shop.container.settings.hold_seconds + 1)

    assert await sweep_once(shop.container) == 1
    assert await _stored_states(shop, lapsing["id"]) == (
        "EXPIRED",
        [("AVAILABLE", None), ("AVAILABLE", None)],
    )
    assert await sweep_once(shop.container) == 0


async def test_the_sweeper_leaves_a_seat_someone_else_held_since(shop) -> None:
    date = await shop.date_on_sale()
    first, second = await shop.admitted_fan(), await shop.admitted_fan()
    lapsed = await shop.hold(first, date["id"], [1])
    await shop.seat_map(second, date["id"])
    shop.clock.advance(shop.container.settings.hold_seconds + 1)
    retaken = await shop.hold(second, date["id"], [1])

    await sweep_once(shop.container)

    assert (await shop.reservation(first, lapsed["id"]))["status"] == "EXPIRED"
    assert (await shop.reservation(second, retaken["id"]))["status"] == "HELD"
    assert (await shop.seat_map(second, date["id"]))[1] == "HELD"
    assert_problem(await shop.post_hold(first, date["id"], [1]), 409, "SEAT_UNAVAILABLE")


async def test_cancelling_a_hold_frees_its_seats(shop) -> None:
    date = await shop.date_on_sale()
    fan, other = await shop.admitted_fan(), await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1, 2])

    response = await shop.cancel(fan, held["id"])

    assert response.status_code == 200
    assert response.json() == {**held, "status": "CANCELLED"}
    assert (await shop.reservation(fan, held["id"]))["status"] == "CANCELLED"
    seats = await shop.seat_map(other, date["id"])
    assert (seats[1], seats[2]) == ("AVAILABLE", "AVAILABLE")
    assert (await shop.hold(other, date["id"], [1, 2]))["status"] == "HELD"


async def test_cancelling_a_booking_refunds_it_and_frees_its_seats(shop) -> None:
    date = await shop.date_on_sale(price=30_000)
    fan, other = await shop.admitted_fan(), await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1, 2])
    await shop.charge(fan, 100_000)
    payment = await shop.pay(fan, held["id"])

    response = await shop.cancel(fan, held["id"])

    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    assert await shop.balance(fan) == 100_000
    refund = (await shop.ledger(fan))[0]
    assert (refund["kind"], refund["amount"], refund["balance_after"]) == (
        "REFUND",
        60_000,
        100_000,
    )
    assert (await shop.payments(fan))[0]["id"] == payment["id"]
    assert (await shop.payments(fan))[0]["status"] == "REFUNDED"
    seats = await shop.seat_map(other, date["id"])
    assert (seats[1], seats[2]) == ("AVAILABLE", "AVAILABLE")


@pytest.mark.skipif(
    TEST_DATABASE_URL is None, reason="SQLite runs one writer at a time: no payment in between"
)
async def test_a_cancel_that_finds_its_hold_just_paid_cancels_the_booking(
    shop, monkeypatch
) -> None:
    date = await shop.date_on_sale(price=30_000)
    fan = await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1])
    await shop.charge(fan, 30_000)
    transition = ReservationRepository.transition

    async def paid_in_between(self, reservation_id, *args, **kwargs):
        if args[1] is ReservationStatus.HELD:  # the cancel read it HELD; a payment commits now
            monkeypatch.setattr(ReservationRepository, "transition", transition)
            await shop.pay(fan, reservation_id)
        return await transition(self, reservation_id, *args, **kwargs)

    monkeypatch.setattr(ReservationRepository, "transition", paid_in_between)
    response = await shop.cancel(fan, held["id"])

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "CANCELLED"
    assert await shop.balance(fan) == 30_000
    assert [e["kind"] for e in await shop.ledger(fan)] == ["REFUND", "PAYMENT", "CHARGE"]


async def test_a_booking_is_refunded_only_once(shop) -> None:
    date = await shop.date_on_sale(price=30_000)
    fan = await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1])
    await shop.charge(fan, 30_000)
    await shop.pay(fan, held["id"])
    await shop.cancel(fan, held["id"])

    again = await shop.cancel(fan, held["id"])

    assert_problem(again, 409, "RESERVATION_NOT_CANCELLABLE")
    assert await shop.balance(fan) == 30_000
    assert [e["kind"] for e in await shop.ledger(fan)] == ["REFUND", "PAYMENT", "CHARGE"]


async def test_an_expired_hold_cannot_be_cancelled(shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1])
    shop.clock.advance(shop.container.settings.hold_seconds + 1)

    response = await shop.cancel(fan, held["id"])

    assert_problem(response, 409, "RESERVATION_NOT_CANCELLABLE")
    assert (await shop.reservation(fan, held["id"]))["status"] == "EXPIRED"


async def test_a_swept_hold_cannot_be_cancelled(shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1])
    shop.clock.advance(shop.container.settings.hold_seconds + 1)
    await sweep_once(shop.container)

    assert_problem(await shop.cancel(fan, held["id"]), 409, "RESERVATION_NOT_CANCELLABLE")


async def test_a_cancelled_hold_cannot_be_cancelled_again(shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1])
    await shop.cancel(fan, held["id"])

    assert_problem(await shop.cancel(fan, held["id"]), 409, "RESERVATION_NOT_CANCELLABLE")


async def test_an_expired_hold_no_longer_counts_to_the_limit(shop) -> None:
    first, second = await shop.date_on_sale(), await shop.date_on_sale()
    fan = await shop.admitted_fan()
    await shop.hold(fan, first["id"], [1, 2, 3, 4])

    shop.clock.advance(shop.container.settings.hold_seconds)

    assert (await shop.hold(fan, second["id"], [1, 2, 3, 4]))["status"] == "HELD"


async def test_a_refund_over_the_balance_cap_is_refused_and_changes_nothing(shop) -> None:
    date = await shop.date_on_sale(price=50_000)
    fan, other = await shop.admitted_fan(), await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1])
    for _ in range(5):
        await shop.charge(fan, 2_000_000)
    await shop.pay(fan, held["id"])
    await shop.charge(fan, 50_000)

    response = await shop.cancel(fan, held["id"])

    assert_problem(response, 409, "BALANCE_LIMIT_EXCEEDED")
    assert (await shop.reservation(fan, held["id"]))["status"] == "CONFIRMED"
    assert await shop.balance(fan) == 10_000_000
    assert (await shop.seat_map(other, date["id"]))[1] == "SOLD"
    assert (await shop.payments(fan))[0]["status"] == "PAID"


async def test_reservations_and_payments_page_with_limit_and_before_id(shop) -> None:
    """Both lists went 100 at most with no way to older rows: a fan who paid once and then held
    and released a hundred times no longer saw the booking."""
    date = await shop.date_on_sale(seat_count=6, price=1_000)
    fan = await shop.sign_up()
    await shop.charge(fan, 10_000)
    paid: list[int] = []
    for seat in (1, 2, 3):
        await shop.join(fan)
        await shop.admit()
        reservation = await shop.hold(fan, date["id"], [seat])
        paid.append(reservation["id"])
        await shop.pay(fan, reservation["id"])

    pages = []
    for before in (None, "first", "second"):
        params: dict[str, int] = {"limit": 1}
        if before is not None:
            params["before_id"] = pages[-1][0]["id"]
        reservations = await shop.client.get(f"{API}/reservations", params=params, headers=fan.auth)
        pages.append(reservations.json())
    payments_one = (
        await shop.client.get(f"{API}/payments", params={"limit": 2}, headers=fan.auth)
    ).json()
    payments_two = (
        await shop.client.get(
            f"{API}/payments",
            params={"limit": 2, "before_id": payments_one[-1]["id"]},
            headers=fan.auth,
        )
    ).json()

    assert [page[0]["id"] for page in pages] == paid[::-1]
    assert [p["reservation_id"] for p in payments_one + payments_two] == paid[::-1]


@pytest.mark.parametrize("path", ["reservations", "payments"])
@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"before_id": 0}])
async def test_bad_paging_of_the_fan_s_lists_is_a_validation_error(
    shop, path: str, params: dict[str, int]
) -> None:
    fan = await shop.sign_up()

    response = await shop.client.get(f"{API}/{path}", params=params, headers=fan.auth)

    assert_problem(response, 422, "VALIDATION_ERROR")
