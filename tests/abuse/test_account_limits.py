"""Sign-up and log-in under attack: limits per address and per username (429 RATE_LIMITED with
Retry-After), password hashing off the event loop and outside any transaction, at most a few
hashes at once. Once, nothing limited either route, and on SQLite a wallet charge waited 1.5 s
behind 6 concurrent sign-ups, whose hashing held the one writer turn."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from argon2 import PasswordHasher

from boxoffice.platform.security import PasswordHashing
from boxoffice.settings import Settings
from tests.conftest import ADMIN_KEY, API, PASSWORD, Shop
from tests.e2e.support import assert_problem

LIMITS_OFF = {
    "signup_limit_per_ip": 0,
    "login_limit_per_ip": 0,
    "login_failures_per_username": 0,
}


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings(settings: Settings, overrides: dict[str, Any]) -> Settings:
    return settings.model_copy(update={**LIMITS_OFF, **overrides})


def limits(**values: Any) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("overrides", [values], ids=[str(values)])


async def _sign_up(shop: Shop, name: str, **headers: str) -> Any:
    return await shop.client.post(
        f"{API}/users", json={"username": name, "password": PASSWORD}, headers=headers
    )


async def _log_in(shop: Shop, name: str, password: str = PASSWORD, **headers: str) -> Any:
    return await shop.client.post(
        f"{API}/auth/token", data={"username": name, "password": password}, headers=headers
    )


def _retry_after(response: Any) -> int:
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 60, seconds
    return seconds


@limits(signup_limit_per_ip=3)
async def test_sign_ups_from_one_address_are_limited_whatever_it_forwards(shop: Shop) -> None:
    for number in range(3):
        assert (await _sign_up(shop, f"burst_{number}")).status_code == 201

    refused = await _sign_up(shop, "burst_3")
    # Nothing trusted by default: a header the client writes itself changes nothing.
    rotated = await _sign_up(shop, "burst_4", **{"X-Forwarded-For": "198.51.100.7"})

    assert_problem(refused, 429, "RATE_LIMITED")
    _retry_after(refused)
    assert_problem(rotated, 429, "RATE_LIMITED")
    assert (await _log_in(shop, "burst_3")).status_code == 401  # it was not created


@limits(login_limit_per_ip=4)
async def test_log_ins_from_one_address_are_limited(shop: Shop) -> None:
    await shop.sign_up("limited_fan")
    answers = [await _log_in(shop, "limited_fan") for _ in range(4)]
    # shop.sign_up logged in once already: that was the first of the minute's four.

    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert_problem(answers[3], 429, "RATE_LIMITED")
    _retry_after(answers[3])


@limits(login_failures_per_username=3)
async def test_a_username_is_locked_after_failed_log_ins_from_anywhere(
    shop: Shop, clock: Any
) -> None:
    await shop.sign_up("target_fan")
    await shop.sign_up("bystander_fan")
    wrong = [await _log_in(shop, "target_fan", "wrong password!") for _ in range(4)]

    with_the_right_password = await _log_in(shop, "target_fan")
    other_name = await _log_in(shop, "bystander_fan")

    # Three guesses checked; the fourth is refused untried.
    assert [a.status_code for a in wrong] == [401, 401, 401, 429]
    # Locked before the password is checked: the right one learns nothing either.
    assert_problem(with_the_right_password, 429, "RATE_LIMITED")
    _retry_after(with_the_right_password)
    assert other_name.status_code == 200
    if shop.container.settings.redis_url is None:  # Redis keeps its own time: TTLs
        clock.advance(61)
        assert (await _log_in(shop, "target_fan")).status_code == 200


@limits(login_failures_per_username=5)
async def test_guesses_sent_all_at_once_are_held_to_the_limit_too(shop: Shop) -> None:
    """Each attempt counts before its password is checked: 30 guesses in flight together get 5
    checks, not 30 (the failures of the first ones were once counted only after their check)."""
    await shop.sign_up("rushed_fan")

    answers = await asyncio.gather(
        *(_log_in(shop, "rushed_fan", f"guess number {n}") for n in range(30))
    )

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 5 + [429] * 25


@limits(login_failures_per_username=2)
async def test_right_passwords_do_not_count_as_failures(shop: Shop) -> None:
    await shop.sign_up("regular_fan")

    answers = [await _log_in(shop, "regular_fan") for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 6


async def test_a_sign_up_hashes_outside_the_transaction(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a sign-up's password is being hashed, other writes go on: on SQLite the hash no
    longer holds the one writer turn."""
    fan = await shop.sign_up()
    gate, hashing_started = threading.Event(), threading.Event()

    class Gated(PasswordHasher):
        armed = False  # the dummy hash made at construction passes

        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            if self.armed:
                hashing_started.set()
                assert gate.wait(10)
            return super().hash(password, salt=salt)

    hasher = Gated(time_cost=1, memory_cost=64)
    # The served PasswordHashing (its turns and all), hashing with the gated hasher.
    monkeypatch.setattr(shop.container.hashing, "_hasher", hasher)
    hasher.armed = True
    signing_up = asyncio.create_task(_sign_up(shop, "slow_hash_fan"))
    try:
        assert await asyncio.to_thread(hashing_started.wait, 10)
        async with asyncio.timeout(5):
            charged = await shop.post_charge(fan, 10_000)
    finally:
        gate.set()
    assert charged.status_code == 201
    assert (await signing_up).status_code == 201


async def test_hashes_run_off_the_event_loop_a_bounded_number_at_once() -> None:
    running, most = 0, 0
    lock = threading.Lock()
    loop_thread = threading.get_ident()

    class Counting(PasswordHasher):
        armed = False  # the dummy hash made at construction is not counted

        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            nonlocal running, most
            if not self.armed:
                return super().hash(password, salt=salt)
            assert threading.get_ident() != loop_thread
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.05)
            with lock:
                running -= 1
            return super().hash(password, salt=salt)

    hasher = Counting(time_cost=1, memory_cost=64)
    hashing = PasswordHashing(hasher, at_once=2)
    hasher.armed = True

    hashes = await asyncio.gather(*(hashing.hash(f"password {n}") for n in range(8)))

    assert len(set(hashes)) == 8
    assert most == 2


@limits(admin_failures_per_ip=3)
async def test_right_admin_keys_sent_at_once_are_never_refused(shop: Shop) -> None:
    """The admin page reads every concert line's state at once every few seconds: right keys
    sent together are not failures. (On Redis, each was counted before its compare and given
    back after, and those past the limit answered 429 and left the address locked.)"""
    queue = f"{API}/admin/queue"
    right = {"X-Admin-Key": ADMIN_KEY}

    answers = await asyncio.gather(*(shop.client.get(queue, headers=right) for _ in range(30)))
    wrong = [await shop.client.get(queue, headers={"X-Admin-Key": "guess"}) for _ in range(4)]
    after = await shop.client.get(queue, headers=right)

    assert [a.status_code for a in answers] == [200] * 30
    assert [w.status_code for w in wrong] == [401, 401, 401, 429]
    # Wrong keys from the operator's address (a shared NAT's) do not lock the right key out.
    assert after.status_code == 200
