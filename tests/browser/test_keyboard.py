"""A fan on the keyboard alone: signs up, joins, moves through the seat grid with the arrow keys,
selects with Space and Enter, holds and releases; every control has a label."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    DEMO_CONCERT,
    PASSWORD,
    Pages,
    assert_every_control_named,
    open_date,
    screen,
)

DATE = 2
S_PRICE = 99_000  # seats 31-50


def press(page: Page, key: str, then_focused: str) -> None:
    page.keyboard.press(key)
    expect(page.locator(then_focused)).to_be_focused()


@pytest.mark.browser
def test_keyboard_alone_through_the_seat_grid(pages: Pages) -> None:
    page = pages.new()
    page.goto("/")
    expect(screen(page, "auth")).to_be_visible()
    page.focus("#signup-username")
    page.keyboard.type("kim")
    press(page, "Tab", "#signup-password")
    page.keyboard.type(PASSWORD)
    press(page, "Tab", "#signup-submit")
    page.keyboard.press("Enter")
    expect(screen(page, "concerts")).to_be_visible()
    expect(page.locator(f"#concert-{DEMO_CONCERT}")).to_be_checked()
    page.focus(f"#concert-{DEMO_CONCERT}")
    press(page, "Tab", "#join-button")
    page.keyboard.press("Enter")
    open_date(page, DATE)

    # One seat is in the tab order; the arrow keys, Home and End move between seats.
    expect(page.locator('#seat-map [tabindex="0"]')).to_have_count(1)
    # Past the best-seat form (its two choices and its button), the map's one seat.
    page.focus("#back-to-dates")
    press(page, "Tab", "#best-quantity")
    press(page, "Tab", "#best-section")
    press(page, "Tab", "#best-button")
    press(page, "Tab", "#seat-1")
    press(page, "ArrowRight", "#seat-2")
    press(page, "ArrowDown", "#seat-12")  # the row below (10 seats a row)
    press(page, "ArrowLeft", "#seat-11")
    press(page, "ArrowUp", "#seat-1")
    press(page, "ArrowLeft", "#seat-1")  # nothing before the first seat
    press(page, "End", "#seat-50")
    press(page, "Home", "#seat-1")
    press(page, "End", "#seat-50")
    expect(page.locator('#seat-map [tabindex="0"]')).to_have_count(1)

    # Space and Enter select; pressing again unselects.
    page.keyboard.press("Space")
    expect(page.locator("#seat-50")).to_have_attribute("data-state", "selected")
    expect(page.locator("#seat-50")).to_have_attribute("aria-pressed", "true")
    press(page, "ArrowLeft", "#seat-49")
    page.keyboard.press("Enter")
    expect(page.locator("#seat-49")).to_have_attribute("data-state", "selected")
    expect(page.locator("#selection-summary")).to_have_text(
        f"Seats 49 and 50 selected · total ₩{2 * S_PRICE:,}"
    )
    page.keyboard.press("Space")
    expect(page.locator("#seat-49")).to_have_attribute("data-state", "available")
    expect(page.locator("#seat-49")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#selection-summary")).to_have_text(
        f"Seat 50 selected · total ₩{S_PRICE:,}"
    )
    expect(page.locator("#seat-50")).to_have_attribute(
        "aria-label", f"Seat 50, S, ₩{S_PRICE:,}, selected"
    )
    assert_every_control_named(page)

    # Out of the grid with Tab, to the hold button; then release the seat again.
    press(page, "Tab", "#hold-button")
    page.keyboard.press("Enter")
    expect(screen(page, "hold")).to_be_visible()
    expect(page.locator("#hold-seats")).to_have_text(f"Seat 50 — ₩{S_PRICE:,}")
    page.focus("#cancel-hold-button")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Your seats were released.")
    expect(screen(page, "seats")).to_be_visible()
    expect(page.locator("#seat-50")).to_have_attribute("data-state", "available")
