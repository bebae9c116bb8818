"""The turn ends while the fan is on a screen that needs it: the page says so once, in words that
say what to do, and stops sending what the pass no longer allows (found by review: the seat map
went on refreshing without a pass, and "not recognised" replaced the message; on the hold
screen the countdown froze and the hold's end was never told)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import HOLD_SECONDS, Api, Pages, screen
from tests.browser.test_unclear_outcomes import (
    _late_in_the_turn,
    _on_a_date_of_its_own,
    _short_turns,
)


@pytest.mark.browser
def test_the_end_of_the_turn_on_the_seat_map_is_told_and_stays_told(pages: Pages, api: Api) -> None:
    with _short_turns(api):
        page = pages.new()
        _on_a_date_of_its_own(page, api, "turn_ends_on_seats")
        page.click("#seat-1")
        expect(page.locator("#active-countdown")).to_have_text("0:00", timeout=20_000)

        ended = page.locator("#error-message")
        expect(ended).to_contain_text("has ended", timeout=10_000)
        page.wait_for_timeout(5_000)  # past the seat map's next refreshes
        expect(ended).to_contain_text("has ended")
        expect(ended).to_contain_text("Join the line for")
        expect(screen(page, "concerts")).to_be_visible()
        expect(page.locator("#error-action")).to_have_text("Join the line again")


@pytest.mark.browser
def test_a_hold_that_outlives_the_turn_is_said_released_when_it_ends(
    pages: Pages, api: Api
) -> None:
    with _short_turns(api):
        page = pages.new()
        _on_a_date_of_its_own(page, api, "turn_ends_on_hold")
        _late_in_the_turn(page)
        page.click("#seat-1")
        page.click("#hold-button")
        expect(screen(page, "hold")).to_be_visible()
        expect(page.locator("#pay-button")).to_be_disabled(timeout=10_000)

        expect(page.locator("#error-message")).to_have_text(
            "Your hold expired and seat 1 was released. Join the line again to buy tickets.",
            timeout=(HOLD_SECONDS + 5) * 1000,
        )
        expect(screen(page, "concerts")).to_be_visible()
        expect(page.locator("#error-action")).to_have_text("Join the line again")
