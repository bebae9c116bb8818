"""My tickets lists everything, a page at a time: a fan who paid once and then held and
released a hundred times still finds the booking (the list stopped at 100, silently)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.support import Api, Pages, join_line, open_date, screen, sign_up
from tests.browser.test_unclear_outcomes import _credentials

PRICE = 1_000


@pytest.mark.browser
def test_older_reservations_are_a_click_away(pages: Pages, api: Api) -> None:
    tiers = [{"name": "A", "seat_count": 4, "price": PRICE}]
    concert, date = api.concert_with_date("Many holds", tiers)
    page = pages.new()
    sign_up(page, "many_holds")
    join_line(page, concert)
    open_date(page, date)
    headers = _credentials(page)
    api.client.post("/wallet/charges", json={"amount": PRICE}, headers=headers)
    first = api.client.post(
        "/reservations", json={"schedule_id": date, "seat_numbers": [1]}, headers=headers
    ).json()
    paid = api.client.post("/payments", json={"reservation_id": first["id"]}, headers=headers)
    assert paid.status_code == 201, paid.text
    # A new turn (the payment used the pass up) for the holds that follow.
    joined = api.client.post("/queue/tokens", json={"concert_id": concert}, headers=headers)
    headers = {**headers, "X-Queue-Token": joined.json()["token"]}
    try:
        deadline = time.monotonic() + 15
        while api.client.get("/queue/status", headers=headers).json().get("status") != "ACTIVE":
            assert time.monotonic() < deadline, "the fan was not let in again"
            time.sleep(0.2)
        for _ in range(100):
            held = api.client.post(
                "/reservations", json={"schedule_id": date, "seat_numbers": [2]}, headers=headers
            )
            assert held.status_code == 201, held.text
            api.client.post(f"/reservations/{held.json()['id']}/cancel", headers=headers)

        page.click("#nav-wallet")
        expect(screen(page, "account")).to_be_visible()
        items = page.locator("#reservation-list > li")
        expect(items).to_have_count(101)  # a full page, and the button
        expect(page.locator("#reservation-list")).not_to_contain_text("Confirmed")
        page.locator("#reservation-list button", has_text="Show older").click()

        expect(items).to_have_count(101)
        expect(page.locator("#reservation-list")).to_contain_text("Confirmed")
    finally:
        api.leave(headers)  # the new turn, which the page does not know of, ends here
