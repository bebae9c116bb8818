"""Whose address a per-address limit counts. `X-Forwarded-For` is believed only from the proxies
in BOXOFFICE_TRUSTED_PROXIES (none by default), and read from the right. Once, the server
believed it from 127.0.0.1 by default, so rotating the header from the same host dodged a limit
of 5 joins, and behind a balancer on another host every fan shared the balancer's address."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from boxoffice.platform import client_address as client_address_module
from boxoffice.platform.client_address import (
    TrustedProxiesMiddleware,
    client_address,
    limit_key,
)
from boxoffice.settings import Settings, parse_networks
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
        ("10.0.0.2", "198.51.100.9:5678", "10.0.0.0/8", "198.51.100.9"),  # a port appended
        ("10.0.0.2", "[2001:db8::5]:443", "10.0.0.0/8", "2001:db8::5"),
        ("::ffff:10.0.0.2", "198.51.100.9", "10.0.0.0/8", "198.51.100.9"),  # IPv4-mapped peer
        ("10.0.0.2", "unknown", "10.0.0.0/8", "10.0.0.2"),  # not an address: not believed
    ],
)
def test_the_client_is_the_first_address_from_the_right_that_is_not_a_proxy_of_ours(
    peer: str, header: str, trusted: str, expected: str
) -> None:
    assert client_address(peer, header, parse_networks(trusted)) == expected


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64(address: str, key: str) -> None:
    assert limit_key(address) == key


@pytest.mark.parametrize("overrides", [{"trusted_proxies": f"{PEER}/32"}])
async def test_rotating_ipv6_addresses_of_one_64_share_one_quota(shop: Shop) -> None:
    answers = [await _join_as_new_fan(shop, f"2001:db8:1:2::{n:x}") for n in range(1, 7)]

    assert [a.status_code for a in answers[:5]] == [201] * 5
    assert_problem(answers[5], 429, "RATE_LIMITED")


def test_a_trusted_proxy_setting_that_is_not_an_address_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="not an address or network: 'nginx'"):
        Settings(trusted_proxies="10.0.0.1, nginx")


async def test_a_forwarded_request_from_a_peer_not_trusted_is_logged_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Behind a balancer missing from TRUSTED_PROXIES every fan shares its address: say so."""
    seen: list[tuple[str, int]] = []
    logs: list[dict[str, Any]] = []

    class Log:
        def warning(self, event: str, **fields: Any) -> None:
            logs.append({"event": event, **fields})

    monkeypatch.setattr(client_address_module, "_log", Log())

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["client"])

    middleware = TrustedProxiesMiddleware(app, parse_networks(""))
    scope = {
        "type": "http",
        "client": ("10.0.0.5", 4000),
        "headers": [(b"x-forwarded-for", b"198.51.100.9")],
    }
    for _ in range(3):
        await middleware(scope, None, None)

    assert seen == [("10.0.0.5", 4000)] * 3  # not believed
    warnings = [log for log in logs if log["event"] == "forwarded_for_from_untrusted_peer"]
    assert [w["peer"] for w in warnings] == ["10.0.0.5"]
