"""Bad input never answers 500: a table-driven fuzz of the bodies of the POST endpoints.

Each body is a valid one with one field missing or replaced by a hostile value, or not an object
at all. Whatever the service makes of it, the answer is below 500, and an error is problem+json.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from boxoffice.catalog import service as catalog_service
from tests.conftest import ADMIN

from .support import PROBLEM_JSON, assert_problem

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    1e308,
    2**31,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    "",
    "1",
    "abc",
    "😀" * 10,
    "x" * 10_000,
    "\u0000",
    [],
    [1],
    [None],
    {},
    {"a": 1},
]
HOSTILE_SEAT_LISTS: list[Any] = [
    [0],
    [-1],
    [1, 1],
    [2**31],
    [2**63],
    [10**30],
    ["1"],
    [1.5],
    [True],
    [[1]],
    list(range(1, 1_000)),
]
NOT_OBJECTS: list[Any] = [None, [], [1], "body", 7, True]


def _bodies(valid: dict[str, Any], extra_values: dict[str, list[Any]]) -> list[Any]:
    bodies: list[Any] = [*NOT_OBJECTS, {}, {**valid, "unexpected": "field"}]
    for field in valid:
        bodies.append({k: v for k, v in valid.items() if k != field})
        for value in HOSTILE_VALUES + extra_values.get(field, []):
            bodies.append({**valid, field: value})
    return bodies


async def _fuzz(client, path: str, headers: dict[str, str], bodies: list[Any]) -> list[str]:
    """The bodies that got a 5xx or an error that is not problem+json."""
    bad = []
    for body in bodies:
        response = await client.post(path, json=body, headers=headers)
        is_problem = response.headers.get("content-type", "").startswith(PROBLEM_JSON)
        if response.status_code >= 500 or (response.status_code >= 400 and not is_problem):
            bad.append(f"{repr(body)[:70]} -> {response.status_code} {response.text[:60]}")
    return bad


async def test_sign_up_never_fails_on_bad_input(client) -> None:
    bodies = _bodies({"username": "fuzz_fan", "password": "12345678"}, {})

    bad = await _fuzz(client, "/api/v1/users", {}, bodies)
    assert not bad, "\n".join(bad)


async def test_holding_seats_never_fails_on_bad_input(client, shop) -> None:
    date = await shop.date_on_sale(seat_count=5)
    fan = await shop.admitted_fan()
    bodies = _bodies(
        {"schedule_id": date["id"], "seat_numbers": [1]}, {"seat_numbers": HOSTILE_SEAT_LISTS}
    )

    bad = await _fuzz(client, "/api/v1/reservations", fan.with_pass, bodies)
    assert not bad, "\n".join(bad)


async def test_charging_never_fails_on_bad_input(client, shop) -> None:
    fan = await shop.sign_up()
    bodies = _bodies({"amount": 1_000}, {})

    bad = await _fuzz(client, "/api/v1/wallet/charges", fan.auth, bodies)
    assert not bad, "\n".join(bad)
    keyed = {**fan.auth, "Idempotency-Key": "fuzz"}
    bad = await _fuzz(client, "/api/v1/wallet/charges", keyed, bodies)
    assert not bad, "\n".join(bad)


async def test_paying_never_fails_on_bad_input(client, shop) -> None:
    fan = await shop.admitted_fan()
    bodies = _bodies({"reservation_id": 424242}, {})

    bad = await _fuzz(client, "/api/v1/payments", fan.with_pass, bodies)
    assert not bad, "\n".join(bad)
    keyed = {**fan.with_pass, "Idempotency-Key": "fuzz"}
    bad = await _fuzz(client, "/api/v1/payments", keyed, bodies)
    assert not bad, "\n".join(bad)


async def test_joining_never_fails_on_bad_input(client, shop) -> None:
    concert = await shop.create_concert()
    fan = await shop.sign_up()
    bodies = _bodies({"concert_id": concert["id"]}, {})

    bad = await _fuzz(client, "/api/v1/queue/tokens", fan.auth, bodies)
    assert not bad, "\n".join(bad)


async def test_the_admin_s_creations_never_fail_on_bad_input(client, shop) -> None:
    concert = await shop.create_concert()
    concerts = "/api/v1/admin/concerts"
    bad = await _fuzz(client, concerts, ADMIN, _bodies({"title": "T", "venue": "V"}, {}))
    tiers = [{"name": "A", "seat_count": 2, "price": 10}]
    dates = _bodies({"starts_at": "2099-01-01T20:00:00Z", "price_tiers": tiers}, {})
    bad += await _fuzz(client, f"{concerts}/{concert['id']}/schedules", ADMIN, dates)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f"])
async def test_text_with_a_control_character_is_refused_alike_on_every_engine(
    client, shop, character: str
) -> None:
    """A NUL was stored by SQLite (201) and refused by PostgreSQL (400): the same request must
    answer the same on both, and a catalogue made on one must move to the other."""
    concerts = "/api/v1/admin/concerts"
    concert = await shop.create_concert()
    tiers = [{"name": f"A{character}", "seat_count": 2, "price": 10}]

    answers = [
        await client.post(concerts, json={"title": f"T{character}"}, headers=ADMIN),
        await client.post(
            concerts, json={"title": "T", "description": f"D{character}"}, headers=ADMIN
        ),
        await client.post(
            f"{concerts}/{concert['id']}/schedules",
            json={"starts_at": "2099-01-01T20:00:00Z", "price_tiers": tiers},
            headers=ADMIN,
        ),
    ]

    for answer in answers:
        assert_problem(answer, 422, "VALIDATION_ERROR")
    # Lines of a description, and tabs, are text.
    kept = await client.post(
        concerts, json={"title": "T\tU", "description": "one\r\ntwo\n"}, headers=ADMIN
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["description"] == "one\r\ntwo\n"


async def test_non_json_bodies_are_problems_too(client, shop) -> None:
    fan = await shop.admitted_fan()
    for path in ("/api/v1/users", "/api/v1/reservations", "/api/v1/wallet/charges"):
        for content, content_type in [
            (b"\xff\xfe\x00", "application/json"),
            (b"NaN", "application/json"),
            (b'{"amount": NaN}', "application/json"),
            (b'{"amount": 1e400}', "application/json"),
            (b"amount=1", "application/x-www-form-urlencoded"),
            (b"<xml/>", "text/xml"),
            (b"[" * 5_000 + b"]" * 5_000, "application/json"),
        ]:
            response = await client.post(
                path, content=content, headers={**fan.with_pass, "Content-Type": content_type}
            )

            assert 400 <= response.status_code < 500, (path, content[:20], response.text)
            assert response.headers["content-type"].startswith(PROBLEM_JSON)


async def test_a_nul_in_an_idempotency_key_is_refused_before_any_write(client, shop) -> None:
    fan = await shop.admitted_fan()
    before = await shop.balance(fan)

    response = await client.post(
        "/api/v1/wallet/charges",
        json={"amount": 100},
        headers={**fan.auth, "Idempotency-Key": "key\x00"},
    )

    assert_problem(response, 422, "VALIDATION_ERROR")
    assert await shop.balance(fan) == before


async def test_a_character_the_database_cannot_store_is_the_request_s_fault(
    client, shop, monkeypatch
) -> None:
    # What PostgreSQL answers for a NUL in a text value (SQLSTATE 22021), wherever it comes from.
    class CharacterNotInRepertoire(Exception):
        sqlstate = "22021"

    async def refused(*_: object) -> None:
        raise DBAPIError("SELECT", {}, CharacterNotInRepertoire("invalid byte sequence 0x00"))

    monkeypatch.setattr(catalog_service, "list_concerts", refused)
    response = await client.get("/api/v1/concerts")

    assert_problem(response, 400, "BAD_REQUEST")
