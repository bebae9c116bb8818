"""A hold this page shows may have been paid or released where the page did not see it: by a
payment whose answer was lost before a reload, in another tab, or from My tickets. The page asks
the server before it shows the hold as payable, when Pay is refused, and before it says the seats
were released (found by review: a fan who had paid was shown the hold as unpaid, then told the
seats were released)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Route, expect

from tests.browser.support import HOLD_SECONDS, Api, Pages, screen
from tests.browser.test_unclear_outcomes import _holding_seat_one, _reservation


def _answer_lost(route: Route) -> None:
    """The payment reaches the server; the connection drops before its answer reaches the page."""
    route.fetch()
    route.abort("connectionreset")


@pytest.mark.browser
def test_a_payment_whose_answer_was_lost_is_found_paid_after_a_reload(
    pages: Pages, api: Api
) -> None:
    page = pages.new()
    pages.expected_errors = re.compile(r"^Failed to load resource: net::ERR_CONNECTION_RESET")
    headers, reservation_id = _holding_seat_one(page, api, "paid_then_reload")
    page.route("**/api/v1/payments", _answer_lost)
    page.click("#pay-button")
    expect(page.locator("#error-message")).to_contain_text("may or may not have gone through")
    assert _reservation(api, headers, reservation_id)["status"] == "CONFIRMED"

    page.unroute("**/api/v1/payments")
    page.reload()

    expect(page.locator("#status")).to_contain_text("Your payment went through")
    expect(screen(page, "account")).to_be_visible()
    expect(page.locator(f"#reservation-{reservation_id}")).to_have_attribute(
        "data-status", "CONFIRMED"
    )
    page.wait_for_timeout((HOLD_SECONDS + 2) * 1000)  # past the hold's end: nothing more is said
    expect(page.locator("#error")).to_be_hidden()
    expect(screen(page, "account")).to_be_visible()


@pytest.mark.browser
def test_seats_paid_in_another_tab_are_not_said_to_be_released(pages: Pages, api: Api) -> None:
    page = pages.new()
    headers, reservation_id = _holding_seat_one(page, api, "paid_in_another_tab")
    paid = api.client.post("/payments", json={"reservation_id": reservation_id}, headers=headers)
    assert paid.status_code == 201, paid.text

    expect(page.locator("#status")).to_contain_text(
        "Your payment went through", timeout=(HOLD_SECONDS + 5) * 1000
    )
    expect(screen(page, "account")).to_be_visible()
    expect(page.locator("#error")).to_be_hidden()
    assert _reservation(api, headers, reservation_id)["status"] == "CONFIRMED"


@pytest.mark.browser
def test_pay_after_paying_in_another_tab_shows_the_seats_paid(pages: Pages, api: Api) -> None:
    """The other tab's payment used the pass up: Pay here is refused for the pass, and the page
    finds the seats paid (it said the place in line was not recognised)."""
    page = pages.new()
    headers, reservation_id = _holding_seat_one(page, api, "pay_after_other_tab")
    paid = api.client.post("/payments", json={"reservation_id": reservation_id}, headers=headers)
    assert paid.status_code == 201, paid.text

    page.click("#pay-button")

    expect(page.locator("#status")).to_contain_text("Your payment went through")
    expect(screen(page, "account")).to_be_visible()
    expect(page.locator("#error")).to_be_hidden()


@pytest.mark.browser
def test_a_hold_released_in_my_tickets_is_not_shown_held_after_a_reload(
    pages: Pages, api: Api
) -> None:
    page = pages.new()
    headers, reservation_id = _holding_seat_one(page, api, "released_then_reload")
    page.click("#nav-tickets")
    page.click(f"#cancel-{reservation_id}")
    expect(page.locator("#status")).to_have_text("Your seats were released.")

    page.reload()

    expect(screen(page, "dates")).to_be_visible()  # the turn goes on: back to choosing
    expect(page.locator("#error")).to_be_hidden()
    assert _reservation(api, headers, reservation_id)["status"] == "CANCELLED"


@pytest.mark.browser
def test_a_hold_released_in_another_tab_is_told_after_a_reload(pages: Pages, api: Api) -> None:
    page = pages.new()
    headers, reservation_id = _holding_seat_one(page, api, "released_in_another_tab")
    cancelled = api.client.post(f"/reservations/{reservation_id}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text

    page.reload()

    expect(page.locator("#error-message")).to_have_text(
        "Your hold was released: seat 1 is no longer held for you. Pick your seats again."
    )
    expect(screen(page, "seats")).to_be_visible()
    expect(page.locator("#seat-1")).to_have_attribute("data-state", "available")
