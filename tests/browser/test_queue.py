"""The waiting room before the sale opens (the pre-queue), and leaving the line; signing in
wrongly is told in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Route, expect

from tests.browser.support import (
    ADMITTED_WITHIN_MS,
    PASSWORD,
    SERVICE_UNAVAILABLE,
    Api,
    Pages,
    join_line,
    screen,
    sign_up,
    snap,
)


@pytest.mark.browser
def test_pre_queue_counts_down_to_the_opening_and_the_line_can_be_left(
    pages: Pages, api: Api
) -> None:
    page = pages.new()
    sign_up(page, "quinn")
    api.set_policy(opens_at=(datetime.now(UTC) + timedelta(minutes=10)).isoformat())
    try:
        join_line(page)
        expect(screen(page, "queue")).to_be_visible()
        expect(page.locator("#prequeue")).to_be_visible()
        expect(page.locator("#inline-queue")).to_be_hidden()
        expect(page.locator("#opens-countdown")).to_have_text(re.compile(r"^(9:[0-5]\d|10:00)$"))
        expect(page.locator("#queue-next")).to_contain_text("drawn at random")
        assert api.room()["waiting"] == 1  # the pre-queue counts as waiting
        snap(page, "prequeue")

        page.click("#leave-queue-button")
        expect(screen(page, "concerts")).to_be_visible()
        expect(page.locator("#status")).to_contain_text("You left the line.")
        assert api.room()["waiting"] == 0
    finally:
        api.set_policy(opens_at=None)


@pytest.mark.browser
def test_a_service_that_cannot_answer_for_a_while_does_not_stop_the_wait(
    pages: Pages, api: Api
) -> None:
    """The service's 503 SERVICE_UNAVAILABLE (a dependency down), or a proxy's 502 during a
    restart, while a fan waits: the page keeps checking and lets the fan in when the turn comes.
    (It once stopped for good at the first one: "Something went wrong", and the fan, told to
    keep the page open, missed their turn.)"""
    ahead = api.active_fan("outage_ahead")  # takes the one slot: the fan on screen waits
    page = pages.new()
    pages.expected_errors = re.compile(r"^Failed to load resource: .* status of 50[23]\b")
    failed: list[str] = []

    def cannot_answer(route: Route) -> None:
        if len(failed) >= 4:
            route.continue_()
            return
        failed.append(route.request.url)
        status = 503 if len(failed) % 2 else 502
        body = SERVICE_UNAVAILABLE if status == 503 else "<html>Bad Gateway</html>"
        kind = "application/problem+json" if status == 503 else "text/html"
        route.fulfill(status=status, body=body, headers={"Retry-After": "1"}, content_type=kind)

    try:
        sign_up(page, "outage_fan")
        page.route(re.compile(r"/api/v1/queue/(status|stream-tickets)"), cannot_answer)
        join_line(page)
        expect(screen(page, "queue")).to_be_visible()
        page.wait_for_timeout(6_000)  # the page meets the failures while still waiting
        assert len(failed) >= 3, failed
        expect(page.locator("#error-message")).to_be_hidden()
        expect(screen(page, "queue")).to_be_visible()
    finally:
        api.leave(ahead)
    # Let in once the slot is free, the checks having gone on.
    expect(screen(page, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS + 30_000)


@pytest.mark.browser
def test_a_phone_from_before_2024_waits_and_gets_in(pages: Pages, api: Api) -> None:
    """Without AbortSignal.any and AbortSignal.timeout (Safari before 17.4): every request once
    threw before it was sent, and the waiting page stopped."""
    ahead = api.active_fan("older_phone_ahead")
    page = pages.new()
    page.context.add_init_script("delete AbortSignal.any; delete AbortSignal.timeout;")
    try:
        sign_up(page, "older_phone")
        join_line(page)
        expect(screen(page, "queue")).to_be_visible()
    finally:
        api.leave(ahead)
    expect(screen(page, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS)


@pytest.mark.browser
def test_a_log_in_that_ends_while_waiting_keeps_the_place(pages: Pages, api: Api) -> None:
    """The access token runs out (an hour) while the fan waits: after logging in again the page
    is back in line with the same pass (it forgot it, and showed the concert list)."""
    ahead = api.active_fan("expiry_ahead")
    page = pages.new()
    kept = None
    try:
        sign_up(page, "expiry_fan")
        join_line(page)
        expect(screen(page, "queue")).to_be_visible()
        kept = page.evaluate("() => JSON.parse(sessionStorage.getItem('boxoffice.pass')).token")
        # The token no longer verifies, as one past its hour does not; the next request made
        # with it (the line's own may be a while: the page may be on the event stream) is 401.
        page.evaluate(
            "() => sessionStorage.setItem('boxoffice.accessToken', JSON.stringify('expired'))"
        )
        # My tickets' reads (clicked by script: the line's own next request may already have
        # been refused, and the page be asking for the log-in, its navigation hidden).
        page.evaluate("() => document.getElementById('nav-tickets').click()")
        expect(screen(page, "auth")).to_be_visible()

        page.fill("#login-username", "expiry_fan")
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")

        expect(screen(page, "queue")).to_be_visible()
        again = page.evaluate("() => JSON.parse(sessionStorage.getItem('boxoffice.pass')).token")
        assert again == kept
        api.leave(ahead)
        expect(screen(page, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS)
    finally:
        api.leave(ahead)
        if kept is not None:  # whatever the page holds, the fan leaves: the next test's slot
            logged_in = api.client.post(
                "/auth/token", data={"username": "expiry_fan", "password": PASSWORD}
            )
            auth = {"Authorization": f"Bearer {logged_in.json()['access_token']}"}
            api.leave({**auth, "X-Queue-Token": kept})


@pytest.mark.browser
def test_sign_in_errors_say_what_to_do(pages: Pages) -> None:
    page = pages.new()
    sign_up(page, "rita")
    page.click("#logout-button")
    expect(screen(page, "auth")).to_be_visible()

    # Checked on the page before sending: the invalid fields are marked.
    page.fill("#signup-username", "X")
    page.fill("#signup-password", "short")
    page.click("#signup-submit")
    expect(page.locator("#error-message")).to_have_text(
        "Some values need fixing: username, password. Correct them and try again."
    )
    expect(page.locator("#error-fields li")).to_have_count(2)
    expect(page.locator("#signup-username")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#signup-username")).to_be_focused()
    snap(page, "sign-up-invalid")

    # Answered by the service: the name is taken; the password does not match.
    page.fill("#signup-username", "rita")
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-submit")
    expect(page.locator("#error-message")).to_have_text(
        "That username is already taken. Choose another one, or log in if it is yours."
    )
    expect(page.locator("#signup-username")).not_to_have_attribute("aria-invalid", "true")
    page.fill("#login-username", "rita")
    page.fill("#login-password", "not the password")
    page.click("#login-submit")
    expect(page.locator("#error-message")).to_have_text(
        "That username and password do not match. Check them and try again, or sign up."
    )
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    expect(screen(page, "concerts")).to_be_visible()
    expect(page.locator("#error")).to_be_hidden()


@pytest.mark.browser
def test_the_progress_bar_counts_what_its_words_count(pages: Pages, api: Api) -> None:
    """Two people ahead on joining, one of them gone: the words say 1 of 2 and the bar shows
    half (it divided by the place on joining, 3, and showed a third)."""
    ahead = api.active_fan("progress_shopping")
    waiting: list[dict[str, str]] = []
    page = pages.new()
    try:
        for name in ("progress_first", "progress_second"):
            auth = api.sign_up(name)
            joined = api.client.post("/queue/tokens", json={"concert_id": 1}, headers=auth)
            assert joined.status_code == 201, joined.text
            waiting.append({**auth, "X-Queue-Token": joined.json()["token"]})
        sign_up(page, "progress_third")
        join_line(page)
        expect(page.locator("#queue-position")).to_have_text("3")
        api.leave(waiting[0])

        # The page learns it at its next poll: a third of its estimated wait, at most 60 s (the
        # rate measured from this run's earlier admissions may make that well over 10 s).
        expect(page.locator("#queue-position")).to_have_text("2", timeout=65_000)
        expect(page.locator("#queue-progress-label")).to_have_text(
            "Progress since you joined: 1 of the 2 people ahead of you have gone in"
        )
        expect(page.locator("#queue-progress")).to_have_js_property("value", 50)
    finally:
        for headers in (ahead, *waiting):
            api.leave(headers)
