"""A fan's whole journey, from sign-up to a confirmed seat, and the audit agrees afterwards."""

from __future__ import annotations

from boxoffice.audit import DATABASE_CHECKS, AuditReport, audit_database, run_audit
from boxoffice.background import sweep_once
from tests.e2e.support import assert_problem, utc

API = "/api/v1"


async def test_a_fan_goes_from_sign_up_to_a_confirmed_seat(client, shop, settings) -> None:
    concert = await shop.create_concert("IU: The Golden Hour")
    await shop.create_date(
        concert["id"],
        price_tiers=[
            {"name": "VIP", "seat_count": 2, "price": 165_000},
            {"name": "R", "seat_count": 4, "price": 132_000},
        ],
    )

    signed_up = await client.post(
        f"{API}/users", json={"username": "iu_fan", "password": "s3cret-pw"}
    )
    assert signed_up.status_code == 201
    token = await client.post(
        f"{API}/auth/token", data={"username": "iu_fan", "password": "s3cret-pw"}
    )
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}

    joined = await client.post(f"{API}/queue/tokens", headers=auth)
    assert joined.json()["status"] == "WAITING"
    with_pass = {**auth, "X-Queue-Token": joined.json()["token"]}
    await shop.admit()
    assert (await client.get(f"{API}/queue/status", headers=with_pass)).json()["status"] == "ACTIVE"

    concerts = (await client.get(f"{API}/concerts")).json()
    assert [c["title"] for c in concerts] == ["IU: The Golden Hour"]
    dates = (
        await client.get(f"{API}/concerts/{concerts[0]['id']}/schedules", headers=with_pass)
    ).json()
    assert [d["available_seats"] for d in dates] == [6]
    seats = (await client.get(f"{API}/schedules/{dates[0]['id']}/seats", headers=with_pass)).json()
    vip = [s["number"] for s in seats if s["price"] == 165_000]
    assert vip == [1, 2]

    held = await client.post(
        f"{API}/reservations",
        json={"schedule_id": dates[0]["id"], "seat_numbers": vip},
        headers=with_pass,
    )
    assert held.status_code == 201
    reservation = held.json()
    assert reservation["amount"] == 330_000

    charged = await client.post(
        f"{API}/wallet/charges",
        json={"amount": 400_000},
        headers={**auth, "Idempotency-Key": "top-up-1"},
    )
    assert charged.status_code == 201

    paid = await client.post(
        f"{API}/payments",
        json={"reservation_id": reservation["id"]},
        headers={**with_pass, "Idempotency-Key": "pay-1"},
    )
    assert paid.status_code == 201
    assert paid.json()["status"] == "PAID"

    confirmed = (await client.get(f"{API}/reservations/{reservation['id']}", headers=auth)).json()
    assert confirmed["status"] == "CONFIRMED"
    viewer = await shop.admitted_fan()
    seat_map = await shop.seat_map(viewer, dates[0]["id"])
    assert (seat_map[1], seat_map[2], seat_map[3]) == ("SOLD", "SOLD", "AVAILABLE")
    assert (await client.get(f"{API}/wallet", headers=auth)).json()["balance"] == 70_000
    ledger = (await client.get(f"{API}/wallet/transactions", headers=auth)).json()
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in ledger] == [
        ("PAYMENT", -330_000, 70_000),
        ("CHARGE", 400_000, 400_000),
    ]
    payments = (await client.get(f"{API}/payments", headers=auth)).json()
    assert [p["id"] for p in payments] == [paid.json()["id"]]
    status = await client.get(f"{API}/queue/status", headers=with_pass)
    assert status.json()["code"] == "QUEUE_TOKEN_EXPIRED"

    report = await run_audit(settings)
    assert report.ok, report.lines()
    assert report.checked


async def test_a_hold_lapses_a_booking_is_cancelled_and_the_audit_agrees(shop, settings) -> None:
    """Expiry and refund as fans see them over HTTP, then the audit on that same state: first at
    the shop's own (advanced) clock, then, once the sweeper has run, as `boxoffice audit` runs it
    on the real clock, which is behind the shop's here."""
    date = await shop.date_on_sale(price=10_000)
    buyer, canceller, lapser, rival = [await shop.admitted_fan() for _ in range(4)]
    for fan in (buyer, canceller, lapser):
        await shop.charge(fan, 50_000)
    kept = await shop.hold(buyer, date["id"], [1, 2])
    await shop.pay(buyer, kept["id"])
    booked = await shop.hold(canceller, date["id"], [3])
    payment = await shop.pay(canceller, booked["id"])
    lapsing = await shop.hold(lapser, date["id"], [4])
    # The first read claims the rival's pass, so it outlives the hold below.
    seats = await shop.seat_map(rival, date["id"])
    assert [seats[n] for n in (1, 2, 3, 4, 5)] == ["SOLD", "SOLD", "SOLD", "HELD", "AVAILABLE"]

    cancelled = await shop.cancel(canceller, booked["id"])

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json() == {**booked, "status": "CANCELLED"}
    assert (await shop.reservation(canceller, booked["id"]))["status"] == "CANCELLED"
    assert await shop.balance(canceller) == 50_000
    ledger = await shop.ledger(canceller)
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in ledger] == [
        ("REFUND", 10_000, 50_000),
        ("PAYMENT", -10_000, 40_000),
        ("CHARGE", 50_000, 50_000),
    ]
    assert [(p["id"], p["status"]) for p in await shop.payments(canceller)] == [
        (payment["id"], "REFUNDED")
    ]
    assert (await shop.seat_map(rival, date["id"]))[3] == "AVAILABLE"

    shop.clock.advance((utc(lapsing["held_until"]) - shop.clock.now()).total_seconds() + 1)

    assert (await shop.reservation(lapser, lapsing["id"]))["status"] == "EXPIRED"
    assert (await shop.seat_map(rival, date["id"]))[4] == "AVAILABLE"
    assert_problem(await shop.post_payment(lapser, lapsing["id"]), 409, "HOLD_EXPIRED")
    assert await shop.balance(lapser) == 50_000
    assert [e["kind"] for e in await shop.ledger(lapser)] == ["CHARGE"]
    assert await shop.payments(lapser) == []
    retaken = await shop.hold(rival, date["id"], [4])
    assert retaken["status"] == "HELD"
    assert (await shop.seat_map(rival, date["id"]))[4] == "HELD"

    # The lapsed hold still reads HELD in the database (the sweeper has not run) and names seat
    # 4 beside the rival's hold: the rows' own times tell that it is no longer live.
    at_shop_time = AuditReport()
    async with shop.container.engine.connect() as connection:
        await audit_database(connection, settings.wallet_max_balance, at_shop_time)
    assert at_shop_time.ok, at_shop_time.lines()
    assert at_shop_time.checked == [name for name, _ in DATABASE_CHECKS]

    assert await sweep_once(shop.container) == 1
    assert (await shop.reservation(lapser, lapsing["id"]))["status"] == "EXPIRED"
    assert (await shop.reservation(rival, retaken["id"]))["status"] == "HELD"
    assert (await shop.seat_map(rival, date["id"]))[4] == "HELD"
    report = await run_audit(settings)
    assert report.ok, report.lines()
