"""A 5,000-seat date in the browser: the map is drawn a section (and a block of a section) at a
time, never 5,000 buttons, and the fan can ask for the best free seats instead of picking, on a
desktop and at phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    Api,
    Pages,
    assert_every_control_named,
    assert_no_horizontal_scroll,
    join_line,
    open_date,
    screen,
    sign_up,
    snap,
)

TIERS = [
    {"name": "Floor", "seat_count": 1000, "price": 150_000},  # seats 1-1000
    {"name": "Lower", "seat_count": 2000, "price": 110_000},  # seats 1001-3000
    {"name": "Upper", "seat_count": 2000, "price": 70_000},  # seats 3001-5000
]
DRAWN_AT_MOST = 200


def drawn_numbers(page: Page) -> list[int]:
    numbers: list[int] = page.locator("#seat-map .seat").evaluate_all(
        "(seats) => seats.map((seat) => Number(seat.dataset.number))"
    )
    return numbers


@pytest.mark.browser
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_large_date_by_sections_and_the_best_seats_on_request(
    pages: Pages, api: Api, phone: bool
) -> None:
    concert, date = api.concert_with_date("Stadium night", TIERS)
    page = pages.new(phone=phone)
    sign_up(page, f"ines_{'phone' if phone else 'desk'}")
    join_line(page, concert)
    open_date(page, date)

    # One block of the first section is drawn, and the sections and blocks can be chosen.
    expect(page.locator("#seat-filters")).to_be_visible()
    assert drawn_numbers(page) == list(range(1, DRAWN_AT_MOST + 1))
    expect(page.locator("#section-choice option")).to_have_text(
        [
            "Floor · ₩150,000 · 1000 free",
            "Lower · ₩110,000 · 2000 free",
            "Upper · ₩70,000 · 2000 free",
        ]
    )
    expect(page.locator("#block-choice option")).to_have_count(5)
    page.select_option("#section-choice", "Upper")
    expect(page.locator("#seat-3001")).to_be_visible()
    page.select_option("#block-choice", "9")
    expect(page.locator("#seat-4801")).to_be_visible()
    assert drawn_numbers(page) == list(range(4801, 5001))
    assert_no_horizontal_scroll(page, "a 5,000-seat map")
    assert_every_control_named(page)
    if not phone:
        snap(page, "best-seats")

    # The best three in the Lower section: the first run of three there.
    page.select_option("#best-quantity", "3")
    page.select_option("#best-section", "Lower")
    page.locator("#best-button").click()
    expect(screen(page, "hold")).to_be_visible()
    expect(page.locator("#hold-seats li")).to_have_count(3)
    expect(page.locator("#hold-seats")).to_contain_text("1001")
    expect(page.locator("#hold-seats")).to_contain_text("1003")
    assert_no_horizontal_scroll(page, "the hold of the best seats")
    page.locator("#cancel-hold-button").click()
    expect(screen(page, "seats")).to_be_visible()
