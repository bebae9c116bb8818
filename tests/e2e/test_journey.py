"""A fan's whole journey, from sign-up to a confirmed seat, and the audit agrees afterwards."""

from __future__ import annotations

from boxoffice.audit import run_audit

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


async def test_the_audit_passes_after_holds_expiries_and_refunds(shop, settings) -> None:
    date = await shop.date_on_sale(price=10_000)
    fans = [await shop.admitted_fan() for _ in range(3)]
    for fan in fans:
        await shop.charge(fan, 50_000)
    kept = await shop.hold(fans[0], date["id"], [1, 2])
    await shop.pay(fans[0], kept["id"])
    refunded = await shop.hold(fans[1], date["id"], [3])
    await shop.pay(fans[1], refunded["id"])
    await shop.cancel(fans[1], refunded["id"])
    await shop.hold(fans[2], date["id"], [4])
    shop.clock.advance(shop.container.settings.hold_seconds + 1)

    report = await run_audit(settings)

    assert report.ok, report.lines()
