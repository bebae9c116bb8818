"""/metrics shows money totals: with BOXOFFICE_METRICS_TOKEN set it answers only a scraper that
sends the token (Prometheus' `authorization` setting); it was open to anyone."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from boxoffice.settings import Settings
from tests.conftest import Shop
from tests.e2e.support import assert_problem

TOKEN = "metrics-scraper-token-0123456789abcdef"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})


async def test_metrics_need_the_token_once_one_is_set(shop: Shop) -> None:
    anyone = await shop.client.get("/metrics")
    wrong = await shop.client.get("/metrics", headers={"Authorization": "Bearer guess"})
    scraper = await shop.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert_problem(anyone, 401, "METRICS_UNAUTHORIZED")
    assert_problem(wrong, 401, "METRICS_UNAUTHORIZED")
    assert scraper.status_code == 200
    assert "boxoffice_money_charged_total" in scraper.text
    assert "boxoffice_money" not in anyone.text + wrong.text


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(metrics_token="short")
