"""The waiting room over HTTP: joining, the line, admission, leaving, and what a pass opens."""

from __future__ import annotations

from datetime import timedelta

from .support import altered_token, assert_problem, utc

JOIN = "/api/v1/queue/tokens"
STATUS = "/api/v1/queue/status"
LEAVE = "/api/v1/queue/tokens/current"


def _pass_endpoints(concert_id: int, schedule_id: int) -> list[tuple[str, str, object]]:
    """(method, path, json) of every [pass] endpoint."""
    return [
        ("GET", f"/api/v1/concerts/{concert_id}/schedules", None),
        ("GET", f"/api/v1/schedules/{schedule_id}/seats", None),
        ("POST", "/api/v1/reservations", {"schedule_id": schedule_id, "seat_numbers": [1]}),
        ("POST", "/api/v1/payments", {"reservation_id": 1}),
    ]


async def test_joining_gives_a_waiting_pass_with_its_place(client, shop) -> None:
    fan = await shop.sign_up()

    response = await client.post(JOIN, headers=fan.auth)

    assert response.status_code == 201
    body = response.json()
    assert body["token"]
    assert body["status"] == "WAITING"
    assert body["position"] == 1
    assert body["estimated_wait_seconds"] >= 0
    assert body["active_until"] is None
    assert body["poll_after_seconds"] >= 1


async def test_joining_again_keeps_the_token_and_the_place(client, shop) -> None:
    first, second = await shop.sign_up(), await shop.sign_up()
    await shop.join(first)
    joined = await shop.join(second)

    again = await client.post(JOIN, headers=second.auth)

    assert again.status_code == 200
    assert again.json()["token"] == joined["token"]
    assert again.json()["position"] == 2


async def test_the_line_keeps_join_order_and_positions_only_shrink(shop) -> None:
    fans = [await shop.sign_up() for _ in range(4)]
    for fan in fans:
        await shop.join(fan)
    assert [(await shop.queue_status(f))["position"] for f in fans] == [1, 2, 3, 4]

    await shop.client.delete(LEAVE, headers=fans[1].with_pass)

    assert [(await shop.queue_status(f))["position"] for f in (fans[0], *fans[2:])] == [1, 2, 3]


async def test_status_of_an_admitted_pass_is_active_with_its_window(shop) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)

    admitted = await shop.admit()

    assert len(admitted) == 1
    status = await shop.queue_status(fan)
    assert status["status"] == "ACTIVE"
    assert status["position"] is None
    assert status["token"] == fan.queue_token
    assert utc(status["active_until"]) > shop.clock.now()
    assert status["poll_after_seconds"] >= 1


async def test_admission_lets_in_no_more_than_max_active_and_a_freed_slot_goes_to_the_next(
    client, shop
) -> None:
    await shop.set_queue_policy(max_active=2)
    fans = [await shop.sign_up() for _ in range(3)]
    for fan in fans:
        await shop.join(fan)

    await shop.admit()

    assert [(await shop.queue_status(f))["status"] for f in fans] == ["ACTIVE", "ACTIVE", "WAITING"]
    assert (await shop.queue_status(fans[2]))["position"] == 1

    assert (await client.delete(LEAVE, headers=fans[0].with_pass)).status_code == 204
    await shop.admit()

    assert (await shop.queue_status(fans[2]))["status"] == "ACTIVE"


async def test_leaving_answers_204_and_the_pass_is_then_expired(client, shop) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)

    response = await client.delete(LEAVE, headers=fan.with_pass)

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(STATUS, headers=fan.with_pass), 401, "QUEUE_TOKEN_EXPIRED")
    assert_problem(await client.delete(LEAVE, headers=fan.with_pass), 401, "QUEUE_TOKEN_EXPIRED")


async def test_leaving_an_active_slot_frees_it(client, shop) -> None:
    fan = await shop.admitted_fan()

    await client.delete(LEAVE, headers=fan.with_pass)

    room = await shop.set_queue_policy()
    assert room["active"] == 0


async def test_after_leaving_a_fan_can_join_again_at_the_back(client, shop) -> None:
    first, second = await shop.sign_up(), await shop.sign_up()
    await shop.join(first)
    await shop.join(second)
    old_token = first.queue_token
    await client.delete(LEAVE, headers=first.with_pass)

    rejoined = await client.post(JOIN, headers=first.auth)

    assert rejoined.status_code == 201
    assert rejoined.json()["token"] != old_token
    assert rejoined.json()["position"] == 2


def _forged_passes(real: str) -> dict[str, dict[str, str]]:
    return {
        "missing": {},
        "empty": {"X-Queue-Token": ""},
        "garbage": {"X-Queue-Token": "not-a-pass"},
        "altered": {"X-Queue-Token": altered_token(real, pid="someone-elses-pass")},
        "truncated": {"X-Queue-Token": real[:-3]},
    }


async def test_a_missing_forged_or_altered_pass_is_invalid_everywhere(client, shop) -> None:
    fan = await shop.admitted_fan()
    date = await shop.date_on_sale()
    endpoints = [
        ("GET", STATUS, None),
        ("DELETE", LEAVE, None),
        *_pass_endpoints(date["concert_id"], date["id"]),
    ]
    for name, pass_header in _forged_passes(fan.queue_token).items():
        for method, path, body in endpoints:
            response = await client.request(
                method, path, json=body, headers={**fan.auth, **pass_header}
            )

            assert response.status_code == 401, (name, method, path, response.text)
            assert_problem(response, 401, "QUEUE_TOKEN_INVALID")
    # none of that cost the fan the real pass
    assert (await shop.queue_status(fan))["status"] == "ACTIVE"


async def test_an_access_token_is_not_a_queue_pass(client, shop) -> None:
    fan = await shop.admitted_fan()
    access_token = fan.auth["Authorization"].removeprefix("Bearer ")

    response = await client.get(STATUS, headers={**fan.auth, "X-Queue-Token": access_token})

    assert_problem(response, 401, "QUEUE_TOKEN_INVALID")


async def test_a_waiting_pass_does_not_open_the_shop(client, shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.sign_up()
    await shop.join(fan)

    for method, path, body in _pass_endpoints(date["concert_id"], date["id"]):
        response = await client.request(method, path, json=body, headers=fan.with_pass)

        assert_problem(response, 403, "QUEUE_TOKEN_NOT_ACTIVE")


async def test_another_fans_pass_is_forbidden(client, shop) -> None:
    date = await shop.date_on_sale()
    owner = await shop.admitted_fan()
    other = await shop.admitted_fan()
    borrowed = {**other.auth, "X-Queue-Token": owner.queue_token}

    assert_problem(await client.get(STATUS, headers=borrowed), 403, "QUEUE_TOKEN_FORBIDDEN")
    assert_problem(await client.delete(LEAVE, headers=borrowed), 403, "QUEUE_TOKEN_FORBIDDEN")
    for method, path, body in _pass_endpoints(date["concert_id"], date["id"]):
        response = await client.request(method, path, json=body, headers=borrowed)

        assert_problem(response, 403, "QUEUE_TOKEN_FORBIDDEN")
    assert (await shop.queue_status(owner))["status"] == "ACTIVE"


async def test_a_pass_used_up_by_a_payment_is_expired(client, shop) -> None:
    date = await shop.date_on_sale(price=10_000)
    fan = await shop.admitted_fan()
    reservation = await shop.hold(fan, date["id"], [1])
    await shop.charge(fan, 10_000)
    await shop.pay(fan, reservation["id"])

    assert_problem(await client.get(STATUS, headers=fan.with_pass), 401, "QUEUE_TOKEN_EXPIRED")
    for method, path, body in _pass_endpoints(date["concert_id"], date["id"]):
        response = await client.request(method, path, json=body, headers=fan.with_pass)

        assert_problem(response, 401, "QUEUE_TOKEN_EXPIRED")


async def test_a_payment_frees_the_slot_for_the_next_fan(shop) -> None:
    await shop.set_queue_policy(max_active=1)
    date = await shop.date_on_sale(price=10_000)
    buyer = await shop.admitted_fan()
    next_fan = await shop.sign_up()
    await shop.join(next_fan)
    await shop.admit()
    assert (await shop.queue_status(next_fan))["status"] == "WAITING"

    reservation = await shop.hold(buyer, date["id"], [1])
    await shop.charge(buyer, 10_000)
    await shop.pay(buyer, reservation["id"])
    await shop.admit()

    assert (await shop.queue_status(next_fan))["status"] == "ACTIVE"


async def test_an_active_pass_expires_after_its_time_to_live(client, shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    assert (await shop.seat_map(fan, date["id"]))[1] == "AVAILABLE"  # first use claims the pass

    shop.clock.advance(shop.container.settings.queue_active_ttl_seconds + 1)

    seats = await client.get(f"/api/v1/schedules/{date['id']}/seats", headers=fan.with_pass)
    assert_problem(seats, 401, "QUEUE_TOKEN_EXPIRED")
    assert_problem(await client.get(STATUS, headers=fan.with_pass), 401, "QUEUE_TOKEN_EXPIRED")


async def test_an_active_pass_is_still_valid_just_before_its_time_to_live(shop) -> None:
    date = await shop.date_on_sale()
    fan = await shop.admitted_fan()
    await shop.seat_map(fan, date["id"])

    shop.clock.advance(shop.container.settings.queue_active_ttl_seconds - 1)

    assert (await shop.seat_map(fan, date["id"]))[1] == "AVAILABLE"


async def test_an_admitted_pass_never_used_lapses_and_its_slot_returns(client, shop) -> None:
    await shop.set_queue_policy(max_active=1)
    idle = await shop.admitted_fan()
    next_fan = await shop.sign_up()
    await shop.join(next_fan)

    shop.clock.advance(shop.container.settings.queue_claim_seconds + 1)
    await shop.admit()

    assert_problem(await client.get(STATUS, headers=idle.with_pass), 401, "QUEUE_TOKEN_EXPIRED")
    assert (await shop.queue_status(next_fan))["status"] == "ACTIVE"


async def test_a_waiting_fan_who_stops_polling_keeps_the_place(shop) -> None:
    fans = [await shop.sign_up() for _ in range(2)]
    for fan in fans:
        await shop.join(fan)

    shop.clock.advance(1800)

    assert (await shop.queue_status(fans[1]))["position"] == 2


async def test_the_wait_estimate_grows_with_the_place_in_line(shop) -> None:
    await shop.set_queue_policy(max_active=1, admit_per_minute=60)
    fans = [await shop.sign_up() for _ in range(5)]
    for fan in fans:
        await shop.join(fan)

    waits = [(await shop.queue_status(f))["estimated_wait_seconds"] for f in fans]

    assert waits == sorted(waits)
    assert waits[-1] > waits[0]


async def test_before_the_sale_opens_fans_wait_in_a_pre_queue_then_line_up(shop) -> None:
    opens_at = shop.clock.now() + timedelta(minutes=10)
    await shop.set_queue_policy(opens_at=opens_at.isoformat(), max_active=1)
    early = [await shop.sign_up() for _ in range(3)]

    joined = [await shop.join(f) for f in early]

    for status in joined:
        assert status["status"] == "WAITING"
        assert status["position"] is None
        assert utc(status["opens_at"]) == opens_at
    assert await shop.admit() == []

    shop.clock.advance(timedelta(minutes=10).total_seconds())
    await shop.admit()

    statuses = [await shop.queue_status(f) for f in early]
    assert sorted(s["status"] for s in statuses) == ["ACTIVE", "WAITING", "WAITING"]
    assert sorted(s["position"] for s in statuses if s["status"] == "WAITING") == [1, 2]


async def test_a_pass_issued_after_the_service_clock_moved_on_works(shop) -> None:
    fan = await shop.sign_up()
    shop.clock.advance(120)

    await shop.join(fan)

    assert (await shop.queue_status(fan))["status"] == "WAITING"
