"""Accounts: sign up, log in, and what happens without a valid access token."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import text

from boxoffice.platform.database import create_engine
from boxoffice.settings import Settings
from tests.conftest import API, PASSWORD, SettableClock

from .support import altered_token, assert_problem, error_fields, shop_of

USERS = "/api/v1/users"
TOKEN = "/api/v1/auth/token"

# Every endpoint that needs an account (the admin ones use the admin key instead).
ACCOUNT_ENDPOINTS = [
    ("POST", "/api/v1/queue/tokens"),
    ("GET", "/api/v1/queue/status"),
    ("DELETE", "/api/v1/queue/tokens/current"),
    ("GET", "/api/v1/concerts/1/schedules"),
    ("GET", "/api/v1/schedules/1/seats"),
    ("POST", "/api/v1/reservations"),
    ("GET", "/api/v1/reservations"),
    ("GET", "/api/v1/reservations/1"),
    ("POST", "/api/v1/reservations/1/cancel"),
    ("GET", "/api/v1/wallet"),
    ("POST", "/api/v1/wallet/charges"),
    ("GET", "/api/v1/wallet/transactions"),
    ("POST", "/api/v1/payments"),
    ("GET", "/api/v1/payments"),
]


async def test_sign_up_answers_201_with_id_and_username(client) -> None:
    response = await client.post(USERS, json={"username": "fan_01", "password": "12345678"})

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "fan_01"
    assert body["id"] is not None
    assert "password" not in response.text


async def test_sign_up_with_a_taken_username_is_409(client) -> None:
    await client.post(USERS, json={"username": "taken", "password": "12345678"})

    again = await client.post(USERS, json={"username": "taken", "password": "another-pass"})

    assert_problem(again, 409, "USERNAME_TAKEN")


@pytest.mark.parametrize(
    "username",
    ["abc", "a" * 32, "fan.name-01_x", "123"],
)
async def test_usernames_of_3_to_32_allowed_characters_are_accepted(client, username) -> None:
    response = await client.post(USERS, json={"username": username, "password": "12345678"})

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 33, "Fan", "fan name", "fan!", "fän", "", "fan\n"],
)
async def test_other_usernames_are_a_validation_error(client, username) -> None:
    response = await client.post(USERS, json={"username": username, "password": "12345678"})

    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert error_fields(problem) == {"username"}


@pytest.mark.parametrize("password", ["1234567", "x" * 129, ""])
async def test_passwords_outside_8_to_128_characters_are_a_validation_error(
    client, password
) -> None:
    response = await client.post(USERS, json={"username": "fan", "password": password})

    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert error_fields(problem) == {"password"}


@pytest.mark.parametrize("password", ["12345678", "p" * 128])
async def test_passwords_of_8_to_128_characters_are_accepted(client, password) -> None:
    response = await client.post(USERS, json={"username": "fan", "password": password})

    assert response.status_code == 201, response.text


async def test_sign_up_without_fields_names_both(client) -> None:
    response = await client.post(USERS, json={})

    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert error_fields(problem) == {"username", "password"}


async def test_log_in_gives_a_bearer_token_that_opens_the_wallet(client, shop) -> None:
    await client.post(USERS, json={"username": "fan", "password": "12345678"})

    response = await client.post(TOKEN, data={"username": "fan", "password": "12345678"})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == shop.container.settings.access_token_ttl_seconds
    wallet = await client.get(
        "/api/v1/wallet", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert wallet.status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("fan", "wrong-password"),
        ("nobody", "12345678"),
        ("FAN", "12345678"),
        ("fan\x00", "12345678"),  # no account could have it: PostgreSQL is not asked
    ],
)
async def test_log_in_with_wrong_credentials_is_401(client, username, password) -> None:
    await client.post(USERS, json={"username": "fan", "password": "12345678"})

    response = await client.post(TOKEN, data={"username": username, "password": password})

    assert_problem(response, 401, "BAD_CREDENTIALS")


async def test_log_in_without_the_form_is_a_validation_error(client) -> None:
    response = await client.post(TOKEN, data={"username": "fan"})

    problem = assert_problem(response, 422, "VALIDATION_ERROR")
    assert error_fields(problem) == {"password"}


async def test_every_account_endpoint_answers_401_without_a_token(client) -> None:
    for method, path in ACCOUNT_ENDPOINTS:
        response = await client.request(method, path)

        problem = assert_problem(response, 401, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"] == "Bearer", (method, path)
        assert problem["status"] == 401


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Basic ZmFuOjEyMzQ1Njc4",
        "Bearer " + jwt.encode({"sub": "1", "aud": "boxoffice:access"}, "another-key-" * 3),
    ],
)
async def test_every_account_endpoint_answers_401_to_a_bad_token(client, authorization) -> None:
    for method, path in ACCOUNT_ENDPOINTS:
        response = await client.request(method, path, headers={"Authorization": authorization})

        assert_problem(response, 401, "UNAUTHENTICATED")


async def test_a_token_with_an_altered_user_is_refused(client, shop) -> None:
    fan = await shop.sign_up()
    token = fan.auth["Authorization"].removeprefix("Bearer ")

    forged = altered_token(token, sub=str(fan.id + 1))

    response = await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {forged}"})
    assert_problem(response, 401, "UNAUTHENTICATED")


async def test_an_expired_access_token_is_refused(client, shop) -> None:
    fan = await shop.sign_up()
    ttl = shop.container.settings.access_token_ttl_seconds
    expired = shop.container.signer.issue_access_token(
        fan.id, shop.clock.now() - timedelta(seconds=ttl + 1)
    )

    response = await client.get("/api/v1/wallet", headers={"Authorization": f"Bearer {expired}"})

    assert_problem(response, 401, "UNAUTHENTICATED")


async def test_an_access_token_expires_when_the_service_clock_passes_its_lifetime(
    client, shop
) -> None:
    fan = await shop.sign_up()

    shop.clock.advance(shop.container.settings.access_token_ttl_seconds + 1)

    response = await client.get("/api/v1/wallet", headers=fan.auth)
    assert_problem(response, 401, "UNAUTHENTICATED")


async def test_a_token_issued_after_the_service_clock_moved_on_works(client, shop) -> None:
    await shop.sign_up("late_fan")
    shop.clock.advance(120)

    auth = await shop.log_in("late_fan")

    response = await client.get("/api/v1/wallet", headers=auth)
    assert response.status_code == 200, response.text


async def test_a_queue_pass_is_not_an_access_token(client, shop) -> None:
    fan = await shop.sign_up()
    await shop.join(fan)

    response = await client.get(
        "/api/v1/wallet", headers={"Authorization": f"Bearer {fan.queue_token}"}
    )

    assert_problem(response, 401, "UNAUTHENTICATED")


async def _password_hash(settings: Settings, username: str) -> str:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT password_hash FROM user_account WHERE username = :name"),
                {"name": username},
            )
    finally:
        await engine.dispose()
    return str(found)


async def test_a_log_in_brings_a_hash_made_with_lower_costs_to_today_s(
    settings: Settings, clock: SettableClock
) -> None:
    """Hashes made before the costs were raised were never made anew (found by review): they
    stayed weak, and a wrong password for an existing name took another time than for an
    unknown one (whose check runs with today's costs)."""
    name = f"rehash_{uuid.uuid4().hex[:8]}"
    stronger = settings.model_copy(update={"password_time_cost": settings.password_time_cost + 1})
    async with shop_of(settings, clock) as shop:
        client = shop.client
        created = await client.post(f"{API}/users", json={"username": name, "password": PASSWORD})
        assert created.status_code == 201, created.text
    before = await _password_hash(settings, name)

    async with shop_of(stronger, clock) as shop:
        client = shop.client
        form = {"username": name, "password": PASSWORD}
        first = await client.post(f"{API}/auth/token", data=form)
        after = await _password_hash(settings, name)
        second = await client.post(f"{API}/auth/token", data=form)
        wrong = await client.post(f"{API}/auth/token", data={**form, "password": "not-it-at-all"})

    assert f"t={settings.password_time_cost}," in before
    assert f"t={settings.password_time_cost + 1}," in after
    assert (first.status_code, second.status_code, wrong.status_code) == (200, 200, 401)
    assert await _password_hash(settings, name) == after  # made anew once, not at every log-in
