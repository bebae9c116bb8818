"""Whose address a per-address limit counts. `X-Forwarded-For` is believed only from the proxies
in BOXOFFICE_TRUSTED_PROXIES (none by default), and read from the right. Once, the server
believed it from 127.0.0.1 by default, so rotating the header from the same host dodged a limit
of 5 joins, and behind a balancer on another host every fan shared the balancer's address."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from boxoffice.platform.client_address import client_address, parse_networks
from boxoffice.settings import Settings
from tests.conftest import API, Shop
from tests.e2e.support import assert_problem

JOIN = f"{API}/queue/tokens"
PEER = "127.0.0.1"  # the test client's address, as the ASGI transport gives it


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings(settings: Settings, overrides: dict[str, Any]) -> Settings:
    return settings.model_copy(
        update={"queue_limit_per_ip": 5, "join_limit_per_account": 0, **overrides}
    )


async def _join_as_new_fan(shop: Shop, forwarded_for: str | None) -> Any:
    fan = await shop.sign_up()
    headers = {**fan.auth, **({"X-Forwarded-For": forwarded_for} if forwarded_for else {})}
    return await shop.client.post(JOIN, headers=headers)


async def test_nothing_is_trusted_by_default_so_rotating_the_header_dodges_nothing(
    shop: Shop,
) -> None:
    answers = [await _join_as_new_fan(shop, f"203.0.113.{n}") for n in range(6)]

    assert [a.status_code for a in answers[:5]] == [201] * 5
    assert_problem(answers[5], 429, "RATE_LIMITED")


@pytest.mark.parametrize("overrides", [{"trusted_proxies": f"{PEER}/32"}])
async def test_behind_a_trusted_balancer_each_fan_has_a_quota_of_their_own(shop: Shop) -> None:
    # Eight fans behind one balancer: each is counted as their own address.
    answers = [await _join_as_new_fan(shop, f"203.0.113.{n}") for n in range(8)]
    # One fan claiming other addresses to the left of what the balancer appended: still one.
    claims = [await _join_as_new_fan(shop, f"10.9.9.{n}, 198.51.100.1") for n in range(6)]

    assert [a.status_code for a in answers] == [201] * 8
    assert [a.status_code for a in claims[:5]] == [201] * 5
    assert_problem(claims[5], 429, "RATE_LIMITED")


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "expected"),
    [
        ("203.0.113.5", "1.1.1.1", "", "203.0.113.5"),  # nothing trusted
        ("203.0.113.5", "1.1.1.1", "10.0.0.0/8", "203.0.113.5"),  # peer not a proxy of ours
        ("10.0.0.2", "198.51.100.9", "10.0.0.0/8", "198.51.100.9"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.9", "10.0.0.0/8", "198.51.100.9"),  # left: a claim
        ("10.0.0.2", "198.51.100.9, 10.0.0.7", "10.0.0.0/8", "198.51.100.9"),  # two proxies
        ("10.0.0.2", "10.0.0.8, 10.0.0.7", "10.0.0.0/8", "10.0.0.8"),  # all ours: the first
        ("::1", "2001:db8::5", "::1", "2001:db8::5"),
        ("10.0.0.2", "", "10.0.0.0/8", "10.0.0.2"),
    ],
)
def test_the_client_is_the_first_address_from_the_right_that_is_not_a_proxy_of_ours(
    peer: str, header: str, trusted: str, expected: str
) -> None:
    assert client_address(peer, header, parse_networks(trusted)) == expected


def test_a_trusted_proxy_setting_that_is_not_an_address_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="not an address or network: 'nginx'"):
        Settings(trusted_proxies="10.0.0.1, nginx")
