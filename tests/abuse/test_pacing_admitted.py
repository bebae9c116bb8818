"""Pacing never hurts a fan who plays by the rules: a poll is paced while its pass waits, and a
fan admitted meanwhile is answered at once, not refused for the rest of that pace (which once
ate into their claim window)."""

from __future__ import annotations

from typing import Any

import pytest

from boxoffice.settings import Settings
from tests.conftest import API, Shop
from tests.e2e.support import assert_problem

STATUS = f"{API}/queue/status"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "poll_pace_ratio": 1.0,
            "queue_limit_per_ip": 0,
            "status_limit_per_account": 0,
            "join_limit_per_account": 0,
        }
    )


async def _poll(shop: Shop, headers: dict[str, str]) -> Any:
    return await shop.client.get(STATUS, headers=headers)


async def test_an_admitted_fan_is_answered_at_once_though_their_last_poll_was_paced(
    shop: Shop,
) -> None:
    await shop.set_queue_policy(max_active=1)
    ahead = await shop.admitted_fan()
    fan = await shop.sign_up()
    await shop.join(fan)

    waiting = await _poll(shop, fan.with_pass)
    too_soon = await _poll(shop, fan.with_pass)
    await shop.client.delete(f"{API}/queue/tokens/current", headers=ahead.with_pass)
    assert fan.queue_token is not None
    assert await shop.admit()  # the fan's turn, within the pace of their last poll
    admitted = await _poll(shop, fan.with_pass)

    assert waiting.status_code == 200
    assert waiting.json()["status"] == "WAITING"
    assert_problem(too_soon, 429, "RATE_LIMITED")  # the pace holds while the pass waits
    assert admitted.status_code == 200, admitted.text
    assert admitted.json()["status"] == "ACTIVE"
