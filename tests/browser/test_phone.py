"""A fan on a phone (390×844, touch): the line, the seats and the confirmation fit the width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMITTED_WITHIN_MS,
    Api,
    Pages,
    assert_no_horizontal_scroll,
    join_line,
    open_date,
    screen,
    sign_up,
)

DATE = 3
R_PRICE = 132_000  # seats 11-30


@pytest.mark.browser
def test_phone_screens_do_not_scroll_sideways(pages: Pages, api: Api) -> None:
    page = pages.new(phone=True)
    sign_up(page, "pat")
    assert_no_horizontal_scroll(page, "the concerts")
    page.locator("#nav-wallet").tap()
    # The wallet screen takes the keyboard to the amount once it is shown: filling it sooner
    # races that, and the amount may be gone when the form is sent (seen once in CI).
    expect(screen(page, "account")).to_be_visible()
    expect(page.locator("#topup-amount")).to_be_focused()
    page.fill("#topup-amount", str(R_PRICE))
    page.locator("#topup-submit").tap()
    expect(page.locator("#wallet-balance")).to_have_text(f"₩{R_PRICE:,}")
    assert_no_horizontal_scroll(page, "my tickets")
    page.locator("#nav-concerts").tap()

    # Someone else has the only turn, so Pat waits in line.
    ahead = api.active_fan("pat_ahead")
    try:
        join_line(page)
        expect(screen(page, "queue")).to_be_visible()
        expect(page.locator("#queue-position")).to_have_text("1")
        assert_no_horizontal_scroll(page, "the waiting room")
    finally:
        api.leave(ahead)

    expect(screen(page, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS)
    assert_no_horizontal_scroll(page, "the dates")
    open_date(page, DATE)
    assert_no_horizontal_scroll(page, "the seat map")
    page.locator("#seat-20").tap()
    expect(page.locator("#seat-20")).to_have_attribute("data-state", "selected")
    page.locator("#hold-button").tap()
    expect(screen(page, "hold")).to_be_visible()
    assert_no_horizontal_scroll(page, "the hold")
    page.locator("#pay-button").tap()
    expect(screen(page, "confirmation")).to_be_visible()
    expect(page.locator('#confirmation dd[data-field="seats"]')).to_have_text("20")
    assert_no_horizontal_scroll(page, "the confirmation")
