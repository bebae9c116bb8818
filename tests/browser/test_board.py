"""The organizer's live board on the admin page: per line, charts of the last 30 minutes that
update by themselves, readable at desktop and phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    ADMIN_KEY,
    Api,
    Pages,
    assert_every_control_named,
    assert_no_horizontal_scroll,
    snap,
)

DATE = 1  # the demo's first date: VIP seats 1-10
CHARTS = (
    "waiting",
    "active",
    "admitted",
    "holds",
    "tickets_sold",
    "revenue",
    "holds_expired",
)


def holds_in_all(page: Page) -> int:
    """The holds of the last 30 minutes, as the holds chart's description gives them."""
    label = page.locator('[data-field="holds"] svg').get_attribute("aria-label") or ""
    found = re.search(r"([\d,]+) in all", label)
    return int(found.group(1).replace(",", "")) if found else 0


def hold_a_seat(api: Api, username: str, seat: int) -> None:
    fan = api.active_fan(username)
    try:
        held = api.client.post(
            "/reservations", json={"schedule_id": DATE, "seat_numbers": [seat]}, headers=fan
        )
        assert held.status_code == 201, held.text
        cancelled = api.client.post(f"/reservations/{held.json()['id']}/cancel", headers=fan)
        assert cancelled.status_code == 200, cancelled.text
    finally:
        api.leave(fan)


@pytest.mark.browser
def test_the_board_charts_each_line_and_updates_by_itself(pages: Pages, api: Api) -> None:
    hold_a_seat(api, "board_first", 9)
    page = pages.new()
    page.goto("/admin.html")
    page.fill("#admin-key", ADMIN_KEY)
    page.click("#admin-key-submit")

    line = page.locator("#board-line-house")
    expect(line.locator("h4")).to_have_text("House line")
    expect(line.locator("figure.board-card")).to_have_count(len(CHARTS))
    for field in CHARTS:
        expect(line.locator(f'[data-field="{field}"] svg[role="img"]')).to_have_attribute(
            "aria-label", re.compile(r"last 30 minutes|no figures")
        )
    expect(page.locator("#board-updated")).to_contain_text("Board updated")
    before = holds_in_all(page)
    assert before >= 1
    expect(line.locator('[data-field="holds"] rect.bar')).not_to_have_count(0)
    expect(line.locator('[data-field="waiting"] polyline.level')).not_to_have_count(0)
    assert_every_control_named(page)

    # A hold made elsewhere shows on the board with no reload.
    hold_a_seat(api, "board_second", 10)
    page.wait_for_function(
        """(before) => {
            const chart = document.querySelector('[data-field="holds"] svg');
            const label = chart?.getAttribute('aria-label');
            const found = label && label.match(/([\\d,]+) in all/);
            return found && Number(found[1].replaceAll(',', '')) > before;
        }""",
        arg=before,
        timeout=15_000,
    )
    assert_no_horizontal_scroll(page, "the admin page with the board")
    snap(page, "admin-board", at="#board-heading")

    # Paused, it stops updating; resumed, it goes on.
    page.click("#board-pause")
    expect(page.locator("#board-pause")).to_have_attribute("aria-pressed", "true")
    page.click("#board-pause")
    expect(page.locator("#board-pause")).to_have_text("Pause the board")


@pytest.mark.browser
def test_the_board_fits_a_phone(pages: Pages) -> None:
    page = pages.new(phone=True)
    page.goto("/admin.html")
    page.fill("#admin-key", ADMIN_KEY)
    page.locator("#admin-key-submit").tap()
    expect(page.locator("#board-line-house figure.board-card")).to_have_count(len(CHARTS))
    assert_no_horizontal_scroll(page, "the board at phone width")
    widths = page.locator("#board-line-house figure.board-card").evaluate_all(
        "(cards) => cards.map((card) => card.getBoundingClientRect().width)"
    )
    viewport = page.viewport_size
    assert viewport is not None
    assert all(width <= viewport["width"] for width in widths)
