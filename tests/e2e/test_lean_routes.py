"""The API's routes run their dependency plans (platform/lean_route.py): a status poll, a seat
map, a hold and a payment, over every case of each, answer exactly as the same routes do when
FastAPI's own handler serves them; they are counted under their templates and documented; and
every route of the API but the form-reading token route is served by its plan."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable
from typing import Any, TypeVar

import httpx
import orjson
from fastapi.routing import APIRoute, request_response
from prometheus_client.parser import text_string_to_metric_families

from boxoffice.platform.lean_route import LeanRoute

from .support import assert_problem

STATUS = "/api/v1/queue/status"
SEATS = "/api/v1/schedules/{schedule_id}/seats"
HOLD = "/api/v1/reservations"
PAY = "/api/v1/payments"
JSON = {"Content-Type": "application/json"}
T = TypeVar("T")


def _planned_routes(app: Any) -> list[LeanRoute]:
    return [route for route in app.router.routes if isinstance(route, LeanRoute) and route.planned]


async def _by_fastapi(app: Any, answers: Awaitable[T]) -> T:
    """`answers` awaited with every planned route served by FastAPI's own handler instead."""
    planned = [(route, route.app) for route in _planned_routes(app)]
    for route, _ in planned:
        route.app = request_response(APIRoute.get_route_handler(route))
    try:
        return await answers
    finally:
        for route, served in planned:
            route.app = served


async def test_every_api_route_is_served_by_its_plan(app) -> None:
    api = [route for route in app.router.routes if route.path.startswith("/api/v1/")]
    assert all(isinstance(route, LeanRoute) for route in api)
    by_fastapi = {f"{sorted(route.methods)} {route.path}" for route in api if not route.planned}
    # The token route reads a form (OAuth2's password flow): a plan covers JSON bodies only.
    assert by_fastapi == {"['POST'] /api/v1/auth/token"}
    for path, method in ((STATUS, "GET"), (SEATS, "GET"), (HOLD, "POST"), (PAY, "POST")):
        [route] = [r for r in api if r.path == path and method in r.methods]
        assert route.planned, path


async def _answers(shop, fan, client: httpx.AsyncClient) -> list[tuple[int, Any]]:
    """A run of polls covering every answer of the endpoint but 429 (tested below)."""
    other = await shop.sign_up()
    await shop.join(other)
    auth = fan.auth["Authorization"]
    cases: list[dict[str, str]] = [
        {},  # no account
        {"Authorization": "Basic " + auth[7:]},  # not a bearer
        {"Authorization": "Bearer"},  # no token
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": auth},  # no pass
        {"Authorization": auth, "X-Queue-Token": "forged"},
        {"Authorization": auth, "X-Queue-Token": str(other.queue_token)},  # another fan's
        fan.with_pass,
    ]
    answers = []
    for headers in cases:
        response = await client.get(STATUS, headers=headers)
        body = response.json()
        answers.append((response.status_code, body))
    return answers


async def test_the_status_poll_answers_as_fastapis_handler_does(app, shop, client) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    await shop.sign_up()  # the names below follow on from here in both runs

    served = await _answers(shop, fan, client)
    served_by_fastapi = await _by_fastapi(app, _answers(shop, fan, client))

    assert served == served_by_fastapi
    codes = [body.get("code", status) for status, body in served]
    assert codes == [
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "QUEUE_TOKEN_INVALID",
        "QUEUE_TOKEN_INVALID",
        "QUEUE_TOKEN_FORBIDDEN",
        200,
    ]


async def _seat_map_answers(shop, client: httpx.AsyncClient) -> list[tuple[int, Any, Any]]:
    """Seat maps asked for by every kind of caller, date id and If-None-Match, each answer."""
    date = await shop.date_on_sale(seat_count=4, price=100)
    fan, other = await shop.admitted_fan(), await shop.admitted_fan()
    await shop.hold(other, date["id"], [2])
    waiting = await shop.sign_up()
    await shop.join(waiting)  # in line, not admitted
    auth = fan.auth["Authorization"]
    seats = SEATS.format(schedule_id=date["id"])
    cases: list[tuple[str, dict[str, str]]] = [
        (seats, {}),  # no account
        (seats, {"Authorization": "Bearer not-a-token"}),
        (seats, {"Authorization": auth}),  # no pass
        (seats, {"Authorization": auth, "X-Queue-Token": "forged"}),
        (seats, {"Authorization": auth, "X-Queue-Token": str(other.queue_token)}),  # another's
        (seats, waiting.with_pass),  # a pass still in line
        ("/api/v1/schedules/abc/seats", {}),  # the account is checked before the date
        *[(SEATS.format(schedule_id=odd), fan.with_pass) for odd in ("abc", "0", "-1", "424242")],
        (seats, fan.with_pass),
    ]
    answers = []
    for path, headers in cases:
        response = await client.get(path, headers=headers)
        answers.append((response.status_code, response.headers["content-type"], response.json()))
    etag = response.headers["ETag"]
    for if_none_match in (etag, '"another"', "*"):
        conditional = {**fan.with_pass, "If-None-Match": if_none_match}
        response = await client.get(seats, headers=conditional)
        tagged = (response.headers["ETag"] == etag, response.headers["Cache-Control"])
        body = response.json() if response.content else None
        answers.append((response.status_code, tagged, body))
    return answers


async def test_the_seat_map_answers_as_fastapis_handler_does(app, shop, client) -> None:
    served = await _seat_map_answers(shop, client)
    served_by_fastapi = await _by_fastapi(app, _seat_map_answers(shop, client))

    def without_ids(answers: list[tuple[int, Any, Any]]) -> list[Any]:
        return [
            (status, kind, re.sub(r"\d+", "#", orjson.dumps(body).decode()))
            for status, kind, body in answers
        ]

    assert without_ids(served) == without_ids(served_by_fastapi)
    codes = [body.get("code", status) if status >= 400 else status for status, _, body in served]
    assert codes == [
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "QUEUE_TOKEN_INVALID",
        "QUEUE_TOKEN_INVALID",
        "QUEUE_TOKEN_FORBIDDEN",
        "QUEUE_TOKEN_NOT_ACTIVE",
        "UNAUTHENTICATED",
        *["SCHEDULE_NOT_FOUND"] * 4,
        200,
        304,  # the tag of the map just read
        200,
        304,  # If-None-Match: *
    ]
    assert all(tagged == (True, "private, no-cache") for _, tagged, _ in served[-3:])
    assert served[-2][2] == served[-4][2]
    assert [seat["status"] for seat in served[-4][2]] == [
        "AVAILABLE",
        "HELD",
        "AVAILABLE",
        "AVAILABLE",
    ]


async def test_a_paced_poll_is_refused(app, shop, client) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    shop.container.settings.poll_pace_ratio = 1.0
    for _ in range(5):
        await shop.join(await shop.sign_up())  # a line, so the advised interval is > 0
    first = await client.get(STATUS, headers=fan.with_pass)
    assert first.status_code == 200

    again = await client.get(STATUS, headers=fan.with_pass)

    assert_problem(again, 429, "RATE_LIMITED")
    assert int(again.headers["Retry-After"]) >= 1


async def test_a_wrong_method_on_the_status_path_is_405(client) -> None:
    assert_problem(await client.post(STATUS), 405, "METHOD_NOT_ALLOWED")


RequestLabels = tuple[str, str, str]  # method, route, status


async def _requests_counted(client: httpx.AsyncClient) -> Counter[RequestLabels]:
    """The request counts /metrics shows, by (method, route, status), reads of /metrics left out.

    The registry is the process's: earlier tests counted under the same labels, so a test
    compares two readings instead of looking for a label."""
    counted: Counter[RequestLabels] = Counter()
    for family in text_string_to_metric_families((await client.get("/metrics")).text):
        for sample in family.samples:
            if sample.name != "boxoffice_http_request_duration_seconds_count":
                continue
            labels = (sample.labels["method"], sample.labels["route"], sample.labels["status"])
            if labels[1] != "/metrics":
                counted[labels] = int(sample.value)
    return counted


def _counted_since(before: Counter[RequestLabels], after: Counter[RequestLabels]) -> Counter[str]:
    """What was counted between two readings, every label set that moved."""
    return Counter(
        {
            " ".join(labels): after[labels] - before[labels]
            for labels in after
            if after[labels] != before[labels]
        }
    )


async def test_polls_are_counted_under_their_route_template(shop, client) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)
    before = await _requests_counted(client)

    for _ in range(3):
        await shop.queue_status(fan)

    # Each poll once, under the template, and nothing else (not "unmatched", not twice).
    assert _counted_since(before, await _requests_counted(client)) == {f"GET {STATUS} 200": 3}


async def test_seat_maps_are_counted_under_their_route_template(shop, client) -> None:
    date = await shop.date_on_sale(seat_count=2)
    fan = await shop.admitted_fan()
    before = await _requests_counted(client)

    await shop.seat_map(fan, date["id"])
    await shop.seat_map(fan, date["id"])
    missing = await client.get(SEATS.format(schedule_id="abc"), headers=fan.with_pass)
    assert missing.status_code == 404

    assert _counted_since(before, await _requests_counted(client)) == {
        f"GET {SEATS} 200": 2,
        f"GET {SEATS} 404": 1,
    }


async def test_the_planned_routes_are_in_the_openapi_document(client) -> None:
    document = (await client.get("/openapi.json")).json()

    operation = document["paths"][STATUS]["get"]
    assert "X-Queue-Token" in [parameter["name"] for parameter in operation["parameters"]]
    assert operation["security"] == [{"HTTPBearer": []}]
    seat_map = document["paths"][SEATS]["get"]
    assert "If-None-Match" in [parameter["name"] for parameter in seat_map["parameters"]]
    assert {"200", "304"} <= set(seat_map["responses"])


def _summary(response: httpx.Response) -> tuple[Any, ...]:
    """An answer without the ids and times that differ between two runs of the same steps."""
    body = response.json()
    if response.status_code >= 400:
        fields = sorted(error["field"] for error in body.get("errors", []))
        detail = re.sub(r"\d+", "#", body["detail"])  # ids named in it differ between runs
        return (response.status_code, body["code"], detail, fields)
    if "seats" in body:  # a reservation
        seats = [(seat["number"], seat["price"]) for seat in body["seats"]]
        return (response.status_code, sorted(body), seats, body["amount"], body["status"])
    return (response.status_code, sorted(body), body["amount"], body["status"])


async def _hold_and_pay_answers(shop, client: httpx.AsyncClient) -> list[tuple[Any, ...]]:
    """Holds and payments, well formed or not, covering each answer of both endpoints."""
    schedule = (await shop.date_on_sale(seat_count=10, price=100))["id"]
    fan, other, poor = [await shop.admitted_fan() for _ in range(3)]
    await shop.charge(fan, 1_000)

    def seats(*numbers: Any, schedule_id: Any = schedule) -> bytes:
        return orjson.dumps({"schedule_id": schedule_id, "seat_numbers": list(numbers)})

    answers = []

    async def post(path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        response = await client.post(path, headers=headers, content=body)
        answers.append(_summary(response))
        return response

    # Holds, in the order FastAPI checks them: body parsed, then account and pass, then fields.
    await post(HOLD, fan.with_pass, seats(1))  # no Content-Type: FastAPI reads no JSON
    await post(HOLD, {**fan.with_pass, "Content-Type": "text/plain"}, seats(2))
    await post(HOLD, {**fan.with_pass, **JSON}, b"{")
    await post(HOLD, {**fan.with_pass, **JSON}, seats())
    await post(HOLD, {**fan.with_pass, **JSON}, seats(3, 3))
    await post(HOLD, {**fan.with_pass, **JSON}, seats(3, schedule_id=str(schedule)))
    await post(HOLD, JSON, seats())  # no account, fields wrong
    await post(HOLD, JSON, seats(2))  # no account
    await post(HOLD, {**fan.auth, **JSON}, seats(2))  # no pass
    await post(HOLD, {**fan.auth, "X-Queue-Token": str(other.queue_token), **JSON}, seats(2))
    first = await post(HOLD, {**fan.with_pass, **JSON}, seats(1))
    both = await post(
        HOLD, {**fan.with_pass, "Content-Type": "Application/JSON; charset=utf-8"}, seats(2, 3)
    )
    await post(HOLD, {**other.with_pass, **JSON}, seats(3, 4))  # seat 3 is the fan's
    await post(HOLD, {**other.with_pass, **JSON}, seats(4, schedule_id=999_999))
    await post(HOLD, {**fan.with_pass, **JSON}, seats(5, 6))  # over the limit of 4 held
    await post(HOLD, {**poor.with_pass, "Content-Type": "application/vnd.api+json"}, seats(7))
    unpaid = await post(HOLD, {**poor.with_pass, **JSON}, seats(8))

    def paying(reservation: httpx.Response) -> bytes:
        return orjson.dumps({"reservation_id": reservation.json()["id"]})

    # Payments.
    await post(PAY, {**fan.with_pass, **JSON, "Idempotency-Key": ""}, paying(first))
    await post(PAY, {**fan.with_pass, **JSON, "Idempotency-Key": "k" * 256}, paying(first))
    await post(PAY, {**fan.with_pass, **JSON}, b"[")
    await post(PAY, {**fan.with_pass, **JSON}, orjson.dumps({"reservation_id": 0}))
    await post(PAY, JSON, paying(first))  # no account
    await post(PAY, {**fan.auth, **JSON}, paying(first))  # no pass
    await post(PAY, {**other.with_pass, **JSON}, paying(first))  # not theirs
    await post(PAY, {**poor.with_pass, **JSON}, paying(unpaid))  # no money
    await post(PAY, {**fan.with_pass, **JSON, "Idempotency-Key": "once"}, paying(first))
    await post(PAY, {**fan.with_pass, **JSON, "Idempotency-Key": "once"}, paying(first))
    await post(PAY, {**fan.with_pass, **JSON}, paying(both))  # the pass is used up
    return answers


async def test_holds_and_payments_answer_as_fastapis_handler_does(app, shop, client) -> None:
    served = await _hold_and_pay_answers(shop, client)
    served_by_fastapi = await _by_fastapi(app, _hold_and_pay_answers(shop, client))

    assert served == served_by_fastapi
    assert [answer[:2] for answer in served] == [
        (422, "VALIDATION_ERROR"),
        (422, "VALIDATION_ERROR"),
        (422, "VALIDATION_ERROR"),
        (422, "VALIDATION_ERROR"),
        (422, "VALIDATION_ERROR"),
        (422, "VALIDATION_ERROR"),
        (401, "UNAUTHENTICATED"),
        (401, "UNAUTHENTICATED"),
        (401, "QUEUE_TOKEN_INVALID"),
        (403, "QUEUE_TOKEN_FORBIDDEN"),
        (201, ["amount", "created_at", "held_until", "id", "schedule_id", "seats", "status"]),
        (201, ["amount", "created_at", "held_until", "id", "schedule_id", "seats", "status"]),
        (409, "SEAT_UNAVAILABLE"),
        (404, "SCHEDULE_NOT_FOUND"),
        (409, "HOLD_LIMIT_EXCEEDED"),
        (201, ["amount", "created_at", "held_until", "id", "schedule_id", "seats", "status"]),
        (201, ["amount", "created_at", "held_until", "id", "schedule_id", "seats", "status"]),
        (422, "VALIDATION_ERROR"),
        (422, "VALIDATION_ERROR"),
        (422, "VALIDATION_ERROR"),
        (422, "VALIDATION_ERROR"),
        (401, "UNAUTHENTICATED"),
        (401, "QUEUE_TOKEN_INVALID"),
        (404, "RESERVATION_NOT_FOUND"),
        (402, "INSUFFICIENT_BALANCE"),
        (201, ["amount", "id", "paid_at", "refunded_at", "reservation_id", "status"]),
        (201, ["amount", "id", "paid_at", "refunded_at", "reservation_id", "status"]),
        (401, "QUEUE_TOKEN_EXPIRED"),
    ]


async def test_holds_and_payments_are_counted_under_their_templates(shop, client) -> None:
    schedule = (await shop.date_on_sale(seat_count=4))["id"]
    fan = await shop.admitted_fan()
    await shop.charge(fan, 1_000_000)
    before = await _requests_counted(client)

    held = await shop.hold(fan, schedule, [1])
    taken = await shop.post_hold(fan, schedule, [1])
    assert taken.status_code == 409
    await shop.pay(fan, held["id"])

    assert _counted_since(before, await _requests_counted(client)) == {
        f"POST {HOLD} 201": 1,
        f"POST {HOLD} 409": 1,
        f"POST {PAY} 201": 1,
    }


async def test_listing_holds_and_payments_is_its_own_route(shop, client) -> None:
    # POST and GET on the same paths are two endpoints: a hold and the list of holds.
    fan = await shop.sign_up()

    for path in (HOLD, PAY):
        response = await client.get(path, headers=fan.auth)
        assert response.status_code == 200
        assert response.json() == []
