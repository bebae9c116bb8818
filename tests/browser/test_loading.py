"""What the page shows while it does not know yet: a seat map that is loading says so (it showed
no seats under the last map's "updated" time), and a hold kept over a reload still names its
concert and date (the page knew them from this visit only: "Date 17", and a heading of "·")."""

from __future__ import annotations

import pytest
from playwright.sync_api import Route, expect

from tests.browser.support import HOLD_SECONDS, Api, Pages, screen
from tests.browser.test_unclear_outcomes import _holding_seat_one, _on_a_date_of_its_own


@pytest.mark.browser
def test_a_seat_map_on_its_way_says_it_is_loading(pages: Pages, api: Api) -> None:
    page = pages.new()
    _on_a_date_of_its_own(page, api, "slow_seat_map")
    expect(page.locator("#seats-updated")).to_contain_text("Seat map updated")
    date = page.locator("#seats-date").inner_text()
    page.click("#back-to-dates")
    expect(screen(page, "dates")).to_be_visible()
    held: list[Route] = []
    let_go: list[bool] = []

    def hold_until_let_go(route: Route) -> None:
        if let_go:
            route.continue_()
        else:
            held.append(route)

    page.route("**/seats", hold_until_let_go)

    page.locator("#schedule-list button").first.click()
    seat_map = page.locator("#seat-map")
    expect(seat_map).to_have_attribute("aria-busy", "true")
    expect(seat_map).to_contain_text("Loading the seat map")
    expect(page.locator("#seats-updated")).to_have_text("")
    expect(page.locator("#seats-date")).to_have_text(date)

    let_go.append(True)
    for route in held:
        route.continue_()
    expect(page.locator("#seat-1")).to_have_attribute("data-state", "available")
    expect(seat_map).to_have_attribute("aria-busy", "false")
    expect(seat_map).not_to_contain_text("Loading")


@pytest.mark.browser
def test_a_hold_kept_over_a_reload_still_names_its_concert(pages: Pages, api: Api) -> None:
    page = pages.new()
    _holding_seat_one(page, api, "named_after_reload")
    title = "Hold screen named_after_reload"
    expect(page.locator("#hold-date")).to_contain_text(title)
    named = page.locator("#hold-date").inner_text()

    page.reload()
    expect(screen(page, "hold")).to_be_visible()
    expect(page.locator("#hold-date")).to_have_text(named)

    page.click("#cancel-hold-button")
    expect(screen(page, "seats")).to_be_visible()
    expect(page.locator("#seats-date")).to_have_text(named)


@pytest.mark.browser
def test_a_hold_opened_from_my_tickets_after_a_reload_ends_on_its_named_date(
    pages: Pages, api: Api
) -> None:
    page = pages.new()
    _, reservation_id = _holding_seat_one(page, api, "named_from_tickets")
    named = page.locator("#hold-date").inner_text()
    page.reload()
    expect(screen(page, "hold")).to_be_visible()
    page.click("#nav-tickets")
    page.click(f"#pay-reservation-{reservation_id}")
    expect(screen(page, "hold")).to_be_visible()
    expect(page.locator("#hold-date")).to_have_text(named)

    expect(page.locator("#error-message")).to_have_text(
        "Your hold expired and seat 1 was released. Pick your seats again.",
        timeout=(HOLD_SECONDS + 5) * 1000,
    )
    expect(screen(page, "seats")).to_be_visible()
    expect(page.locator("#seats-date")).to_have_text(named)
