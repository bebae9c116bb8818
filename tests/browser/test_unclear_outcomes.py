"""When an answer is lost, late or overtaken, the page finds out what happened before it says
anything (found by review, each once wrong): a hold whose answer was lost is found, not held
twice; a payment with no answer is looked up before its hold is said to be released; a request
with no answer is given up and sent again with its key; another top-up amount after one with no
answer shows the balance first. And on the hold screen, paying and releasing exclude each other,
releasing never cancels seats a payment has made a booking, and the time left to pay is the
turn's when the turn ends first."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.support import (
    SERVICE_UNAVAILABLE,
    Api,
    Pages,
    join_line,
    open_date,
    screen,
    sign_up,
)

PRICE = 1_000


def _credentials(page: Page) -> dict[str, str]:
    """The fan's headers as the page keeps them: access token and pass."""
    access, held = page.evaluate(
        "() => ['accessToken', 'pass'].map((n) => "
        "JSON.parse(sessionStorage.getItem('boxoffice.' + n)))"
    )
    return {"Authorization": f"Bearer {access}", "X-Queue-Token": held["token"]}


def _on_a_date_of_its_own(page: Page, api: Api, username: str) -> dict[str, str]:
    """A fan let in, on the seat map of a date of their own, money enough in their wallet: the
    fan's headers."""
    tiers = [{"name": "A", "seat_count": 4, "price": PRICE}]
    concert, date = api.concert_with_date(f"Hold screen {username}", tiers)
    sign_up(page, username)
    join_line(page, concert)
    open_date(page, date)
    headers = _credentials(page)
    charged = api.client.post("/wallet/charges", json={"amount": 10 * PRICE}, headers=headers)
    assert charged.status_code == 201, charged.text
    return headers


def _holding_seat_one(page: Page, api: Api, username: str) -> tuple[dict[str, str], int]:
    """A fan on the hold screen holding seat 1 of a date of their own, money enough in their
    wallet: the fan's headers and the reservation's id."""
    headers = _on_a_date_of_its_own(page, api, username)
    page.click("#seat-1")
    page.click("#hold-button")
    expect(screen(page, "hold")).to_be_visible()
    # The page has asked the server where the hold stands (what a test does next comes after).
    expect(screen(page, "hold")).not_to_have_attribute("aria-busy", "true")
    reservations = api.client.get("/reservations", headers=headers).json()
    return headers, int(reservations[0]["id"])


def _reservation(api: Api, headers: dict[str, str], reservation_id: int) -> Any:
    return api.client.get(f"/reservations/{reservation_id}", headers=headers).json()


def _first_answer_lost(lost: list[int]) -> Callable[[Route], None]:
    """A route handler: the first POST reaches the server (its status kept in `lost`), and the
    page gets a 503 instead of its answer (a deadline's, after the commit)."""

    def handle(route: Route) -> None:
        if route.request.method != "POST" or lost:
            route.continue_()
            return
        lost.append(route.fetch().status)
        route.fulfill(
            status=503,
            body=SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
            content_type="application/problem+json",
        )

    return handle


def _first_taken_but_unanswered(stalled: list[Route]) -> Callable[[Route], None]:
    """A route handler: the first POST reaches the server, and no answer ever reaches the page."""

    def handle(route: Route) -> None:
        if route.request.method != "POST" or stalled:
            route.continue_()
            return
        route.fetch()
        stalled.append(route)

    return handle


@contextmanager
def _short_turns(api: Api) -> Iterator[None]:
    """Turns of 10 s, and a claim window as short (a fan let in late is given no more), while
    holds last HOLD_SECONDS (8): a hold made late in a turn outlives it."""
    policy = api.room()["policy"]
    before = {key: policy[key] for key in ("active_ttl_seconds", "claim_seconds")}
    api.set_policy(active_ttl_seconds=10, claim_seconds=5)
    try:
        yield
    finally:
        api.set_policy(**before)


def _late_in_the_turn(page: Page) -> None:
    """Wait until less of the turn is left than a hold lasts."""
    expect(page.locator("#active-countdown")).to_have_text(
        re.compile(r"^0:0[0-5]$"), timeout=20_000
    )


@pytest.mark.browser
def test_a_hold_whose_answer_was_lost_is_shown_not_held_again(pages: Pages, api: Api) -> None:
    """The hold went through but its answer was lost (a deadline's 503 after the commit): the
    page finds it among the fan's holds and shows it. (It said "Something went wrong"; Try again
    then said someone else had taken the fan's own seats, and a new pick held twice.)"""
    page = pages.new()
    pages.expected_errors = re.compile(r"^Failed to load resource: .* status of 503\b")
    headers = _on_a_date_of_its_own(page, api, "lost_hold_answer")
    lost: list[int] = []
    page.route("**/api/v1/reservations", _first_answer_lost(lost))
    page.click("#seat-1")
    page.click("#hold-button")

    expect(screen(page, "hold")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Your seats are held.")
    assert lost == [201]
    reservations = api.client.get("/reservations", headers=headers).json()
    assert [(r["status"], [s["number"] for s in r["seats"]]) for r in reservations] == [
        ("HELD", [1])
    ]


@pytest.mark.browser
def test_best_seats_whose_answer_was_lost_are_shown_not_held_again(pages: Pages, api: Api) -> None:
    page = pages.new()
    pages.expected_errors = re.compile(r"^Failed to load resource: .* status of 503\b")
    headers = _on_a_date_of_its_own(page, api, "lost_best_answer")
    lost: list[int] = []
    page.route("**/api/v1/reservations", _first_answer_lost(lost))
    page.select_option("#best-quantity", "2")
    page.locator("#best-button").click()

    expect(screen(page, "hold")).to_be_visible()
    assert lost == [201]
    reservations = api.client.get("/reservations", headers=headers).json()
    assert [(r["status"], [s["number"] for s in r["seats"]]) for r in reservations] == [
        ("HELD", [1, 2])
    ]


@pytest.mark.browser
def test_release_cannot_be_clicked_while_a_payment_is_under_way(pages: Pages, api: Api) -> None:
    page = pages.new()
    headers, reservation_id = _holding_seat_one(page, api, "pay_then_release")
    payments: list[Route] = []
    page.route("**/api/v1/payments", lambda route: payments.append(route))  # held till let go

    page.click("#pay-button")
    while not payments:
        page.wait_for_timeout(50)
    expect(page.locator("#cancel-hold-button")).to_be_disabled()
    payments[0].continue_()

    expect(screen(page, "confirmation")).to_be_visible()
    assert _reservation(api, headers, reservation_id)["status"] == "CONFIRMED"


@pytest.mark.browser
def test_release_never_cancels_seats_already_paid_for(pages: Pages, api: Api) -> None:
    """Paid meanwhile (a payment whose answer the page lost, or another tab's): Release says so
    and shows the booking, which stays paid."""
    page = pages.new()
    headers, reservation_id = _holding_seat_one(page, api, "paid_elsewhere")
    paid = api.client.post("/payments", json={"reservation_id": reservation_id}, headers=headers)
    assert paid.status_code == 201, paid.text

    page.click("#cancel-hold-button")

    expect(page.locator("#status")).to_contain_text("already paid for")
    expect(screen(page, "account")).to_be_visible()
    assert _reservation(api, headers, reservation_id)["status"] == "CONFIRMED"


@pytest.mark.browser
def test_the_time_left_to_pay_is_the_turn_s_when_it_ends_before_the_hold(
    pages: Pages, api: Api
) -> None:
    """Paying needs the turn too: a hold made late in a turn counted down to the hold's end,
    past the turn's, and Pay then failed with a message about the pass. The countdown is now the
    sooner end, says that the turn ends first, and at its end Pay is off and the page says why."""
    with _short_turns(api):
        page = pages.new()
        _on_a_date_of_its_own(page, api, "late_in_the_turn")
        _late_in_the_turn(page)
        page.click("#seat-1")
        page.click("#hold-button")
        expect(screen(page, "hold")).to_be_visible()

        expect(page.locator("#hold-ends")).to_have_text(
            "Your turn ends before the hold does: pay within your turn."
        )
        assert page.locator("#hold-countdown").inner_text() in {
            page.locator("#active-countdown").inner_text(),
            "0:00",
        }
        expect(page.locator("#pay-button")).to_be_disabled(timeout=10_000)
        expect(page.locator("#error-message")).to_contain_text("turn")


@pytest.mark.browser
def test_a_payment_whose_answer_never_came_is_found_paid_when_the_hold_would_end(
    pages: Pages, api: Api
) -> None:
    """The payment went through but no answer came: when the hold's time is up the page asks
    the server before saying the seats were released (it said so, falsely), and shows them paid.
    """
    page = pages.new()
    headers, reservation_id = _holding_seat_one(page, api, "answer_never_came")
    stalled: list[Route] = []
    page.route("**/api/v1/payments", _first_taken_but_unanswered(stalled))
    page.click("#pay-button")

    expect(page.locator("#status")).to_contain_text("Your payment went through", timeout=15_000)
    expect(screen(page, "account")).to_be_visible()
    assert _reservation(api, headers, reservation_id)["status"] == "CONFIRMED"
    page.wait_for_timeout(16_000)  # past the request's own 15 s: it is given up quietly
    expect(page.locator("#error")).to_be_hidden()


@pytest.mark.browser
def test_a_request_with_no_answer_is_given_up_and_sent_again_with_its_key(
    pages: Pages, api: Api
) -> None:
    """A top-up whose answer never comes: after 15 s the page says it cannot reach the shop and
    the button works again (it stayed busy for good); sent again, it carries the same key."""
    page = pages.new()
    sign_up(page, "stalled_top_up")
    keys: list[str | None] = []
    stalled: list[Route] = []

    def stall_the_first(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if stalled:
            route.continue_()
        else:
            stalled.append(route)  # never answered

    page.route("**/api/v1/wallet/charges", stall_the_first)
    page.click("#nav-wallet")
    page.fill("#topup-amount", "5000")
    page.click("#topup-submit")

    expect(page.locator("#error-message")).to_contain_text("Cannot reach", timeout=25_000)
    expect(page.locator("#topup-submit")).to_be_enabled()
    page.click("#topup-submit")
    expect(page.locator("#topup-result")).to_contain_text("Added")
    assert len(keys) == 2, keys
    assert keys[0] is not None
    assert keys[0] == keys[1]


@pytest.mark.browser
def test_another_amount_after_a_top_up_with_no_answer_shows_the_balance_first(
    pages: Pages, api: Api
) -> None:
    """The first top-up went through but no answer came; the fan then asks for another amount:
    the page shows the balance (the first one is in it) before any new top-up. (It sent the new
    amount under the first one's key: 409 IDEMPOTENCY_KEY_REUSED, 'reload the page'.)"""
    page = pages.new()
    sign_up(page, "top_up_again")
    stalled: list[Route] = []
    page.route("**/api/v1/wallet/charges", _first_taken_but_unanswered(stalled))
    page.click("#nav-wallet")
    page.fill("#topup-amount", "5000")
    page.click("#topup-submit")
    expect(page.locator("#error-message")).to_contain_text("Cannot reach", timeout=25_000)

    page.fill("#topup-amount", "7000")
    page.click("#topup-submit")
    expect(page.locator("#topup-result")).to_contain_text(
        "may have gone through: your balance is now ₩5,000"
    )
    page.click("#topup-submit")
    expect(page.locator("#topup-result")).to_have_text("Added ₩7,000. New balance: ₩12,000.")


@pytest.mark.browser
def test_a_payment_with_no_answer_when_the_turn_ends_is_found_paid(pages: Pages, api: Api) -> None:
    """The turn ends before the hold, a payment with no answer under way: the page asks the
    server before saying the turn is over, and shows the seats paid (it told the fan their turn
    had ended, and Pay came back on when the request gave up)."""
    with _short_turns(api):
        page = pages.new()
        headers = _on_a_date_of_its_own(page, api, "paid_as_the_turn_ends")
        _late_in_the_turn(page)
        page.click("#seat-1")
        page.click("#hold-button")
        expect(screen(page, "hold")).to_be_visible()
        stalled: list[Route] = []
        page.route("**/api/v1/payments", _first_taken_but_unanswered(stalled))
        page.click("#pay-button")

        expect(page.locator("#status")).to_contain_text("Your payment went through", timeout=10_000)
        expect(screen(page, "account")).to_be_visible()
        reservations = api.client.get("/reservations", headers=headers).json()
        assert [r["status"] for r in reservations] == ["CONFIRMED"]


@pytest.mark.browser
def test_a_top_up_whose_answer_was_lost_is_not_charged_again_after_a_reload(
    pages: Pages, api: Api
) -> None:
    """The top-up went through but the connection dropped before its answer; the fan reloads and
    tops up the same amount again: the page sends the first one's key, so the wallet is charged
    once. (The key was kept in the page's memory only: the reload lost it, and charged twice.)"""
    page = pages.new()
    pages.expected_errors = re.compile(r"^Failed to load resource: net::ERR_CONNECTION_RESET")
    sign_up(page, "top_up_reload")
    keys: list[str | None] = []

    def drop_the_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/wallet/charges", drop_the_first_answer)
    page.click("#nav-wallet")
    page.fill("#topup-amount", "5000")
    page.click("#topup-submit")
    expect(page.locator("#error-message")).to_contain_text(
        "your top-up may or may not have gone through"
    )

    page.reload()
    expect(screen(page, "concerts")).to_be_visible()
    page.click("#nav-wallet")
    page.fill("#topup-amount", "5000")
    page.click("#topup-submit")

    expect(page.locator("#topup-result")).to_have_text("Added ₩5,000. New balance: ₩5,000.")
    assert len(keys) == 2, keys
    assert keys[0] is not None
    assert keys[0] == keys[1]
