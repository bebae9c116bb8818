"""What the page does with the service's "wait" answers: the notice of an automatic retry goes
when its screen is left (found by review: it stayed up for good)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import Api, Pages, screen
from tests.browser.test_unclear_outcomes import _on_a_date_of_its_own


@pytest.mark.browser
def test_the_notice_of_an_automatic_retry_goes_with_its_screen(pages: Pages, api: Api) -> None:
    page = pages.new()
    _on_a_date_of_its_own(page, api, "retry_notice_left")
    page.route(
        "**/seats",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "20"},
            content_type="application/problem+json",
            body='{"type":"about:blank","title":"Too many requests","status":429,'
            '"code":"RATE_LIMITED","detail":"Too many requests; retry in 20 s."}',
        ),
    )
    expect(page.locator("#status")).to_contain_text("Trying again automatically")
    page.unroute("**/seats")
    page.click("#nav-tickets")
    expect(screen(page, "account")).to_be_visible()

    expect(page.locator("#status")).to_be_hidden()
