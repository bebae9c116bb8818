"""What the page does with the service's "wait" answers: a 503 SERVICE_UNAVAILABLE to a payment
or top-up is sent again by itself with the same key, and when it keeps coming the fan is told in
plain words what to do; the notice of an automatic retry goes when its screen is left (found by
review: a generic message with developer words and "reload the page"; a notice that stayed up
for good)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Route, expect

from tests.browser.support import SERVICE_UNAVAILABLE, Api, Pages, screen, sign_up
from tests.browser.test_unclear_outcomes import (
    _first_answer_lost,
    _holding_seat_one,
    _on_a_date_of_its_own,
    _reservation,
)

UNAVAILABLE_503 = re.compile(r"^Failed to load resource: .* status of 503\b")


@pytest.mark.browser
def test_a_payment_answered_service_unavailable_is_sent_again_with_its_key(
    pages: Pages, api: Api
) -> None:
    page = pages.new()
    pages.expected_errors = UNAVAILABLE_503
    headers, reservation_id = _holding_seat_one(page, api, "pay_unavailable")
    lost: list[int] = []
    keys: list[str | None] = []
    answer_lost = _first_answer_lost(lost)

    def note_the_key(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        answer_lost(route)

    page.route("**/api/v1/payments", note_the_key)
    page.click("#pay-button")

    expect(screen(page, "confirmation")).to_be_visible()
    assert lost == [201]
    assert len(keys) == 2, keys
    assert keys[0] is not None
    assert keys[0] == keys[1]
    assert _reservation(api, headers, reservation_id)["status"] == "CONFIRMED"
    balance = api.client.get("/wallet", headers=headers).json()["balance"]
    assert float(balance) == 9_000  # charged once


@pytest.mark.browser
def test_a_top_up_the_service_cannot_answer_says_what_to_do(pages: Pages) -> None:
    page = pages.new()
    pages.expected_errors = UNAVAILABLE_503
    sign_up(page, "top_up_unavailable")
    page.route(
        "**/api/v1/wallet/charges",
        lambda route: route.fulfill(
            status=503,
            body=SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
            content_type="application/problem+json",
        ),
    )
    page.click("#nav-wallet")
    page.fill("#topup-amount", "5000")
    page.click("#topup-submit")

    message = page.locator("#error-message")
    expect(message).to_have_text(
        "The service could not answer just now, so this may or may not have gone through. "
        "Try again in a moment: trying again never charges you twice.",
        timeout=15_000,
    )
    expect(page.locator("#error-action")).to_have_text("Try again")


def _rate_limited_for_20_seconds(route: Route) -> None:
    route.fulfill(
        status=429,
        headers={"Retry-After": "20"},
        content_type="application/problem+json",
        body='{"type":"about:blank","title":"Too many requests","status":429,'
        '"code":"RATE_LIMITED","detail":"Too many requests; retry in 20 s."}',
    )


@pytest.mark.browser
def test_the_notice_of_an_automatic_retry_goes_with_its_screen(pages: Pages, api: Api) -> None:
    page = pages.new()
    _on_a_date_of_its_own(page, api, "retry_notice_left")
    page.route(
        "**/seats",
        _rate_limited_for_20_seconds,
    )
    expect(page.locator("#status")).to_contain_text("Trying again automatically")
    page.unroute("**/seats")
    page.click("#nav-tickets")
    expect(screen(page, "account")).to_be_visible()

    expect(page.locator("#status")).to_be_hidden()


@pytest.mark.browser
def test_leaving_a_screen_during_an_automatic_retry_keeps_a_newer_notice(
    pages: Pages, api: Api
) -> None:
    """The hold screen's check of the turn is waiting to be retried when the fan releases the
    seats: "Your seats were released." stays up on the seat map. (Giving the retry up with its
    screen cleared the notice area, whatever it showed.)"""
    page = pages.new()
    _on_a_date_of_its_own(page, api, "retry_notice_kept")
    page.click("#seat-1")
    page.route(
        "**/api/v1/queue/status",
        _rate_limited_for_20_seconds,
    )
    page.click("#hold-button")
    expect(screen(page, "hold")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Trying again automatically")
    page.unroute("**/api/v1/queue/status")
    page.click("#cancel-hold-button")

    expect(screen(page, "seats")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Your seats were released.")
    page.wait_for_timeout(1_000)
    expect(page.locator("#status")).to_have_text("Your seats were released.")
