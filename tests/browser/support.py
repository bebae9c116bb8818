"""What the browser tests share: the served app's address and keys, a plain HTTP side door for
fans and the admin who are not on screen, and the steps every fan takes on the page."""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Locator,
    Page,
    ViewportSize,
    expect,
)

ROOT = Path(__file__).resolve().parents[2]
# Where `snap` writes: docs/screenshots only on purpose (`make screenshots` sets this), so that
# a test run never rewrites tracked files; a scratch folder otherwise (the pictures are still
# taken, and the phone width still checked).
SCREENSHOTS = Path(
    os.environ.get("BOXOFFICE_TEST_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / f"boxoffice-screenshots-{os.getuid()}"
)
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}

SECRET_KEY = "browser-test-secret-for-signing-tokens-0123456789"
ADMIN_KEY = "browser-test-admin-key-0123456789ab"
PASSWORD = "correct horse battery"
HOLD_SECONDS = 8
# A fan is let in within the admission loop's 0.2 s and the line's next update; with room to spare.
ADMITTED_WITHIN_MS = 15_000
# Chromium logs every 4xx answer as a console error; those are the contract's errors, expected.
FAILED_4XX = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d\b")
# Run in every page before its own scripts: each Content-Security-Policy violation is a console
# error, which fails the test (`Pages`), and is kept in `window.cspViolations`.
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (event) => {
  const text = `CSP violation: ${event.violatedDirective} refused ${event.blockedURI || 'inline'}`
    + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}`;
  (window.cspViolations ??= []).push(text);
  console.error(text);
});
"""
# The service's own answer when a dependency did not answer (what a test puts in its place).
SERVICE_UNAVAILABLE = (
    '{"type":"about:blank","title":"Service unavailable","status":503,'
    '"detail":"A backing service did not answer; nothing was changed. Retry shortly.",'
    '"code":"SERVICE_UNAVAILABLE"}'
)
# `boxoffice demo` makes concert 1 with dates 1, 2 and 3 (VIP 1-10, R 11-30, S 31-50).
DEMO_CONCERT = 1


@dataclass(frozen=True)
class Server:
    url: str
    log: Path


class Api:
    """The HTTP API, for the fans and the admin a test needs but does not watch."""

    def __init__(self, server: Server) -> None:
        self.client = httpx.Client(base_url=f"{server.url}/api/v1", timeout=10)
        self.admin = {"X-Admin-Key": ADMIN_KEY}

    def close(self) -> None:
        self.client.close()

    def sign_up(self, username: str) -> dict[str, str]:
        """A new account; its auth header."""
        created = self.client.post("/users", json={"username": username, "password": PASSWORD})
        assert created.status_code == 201, created.text
        token = self.client.post("/auth/token", data={"username": username, "password": PASSWORD})
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    def active_fan(
        self, username: str, timeout: float = 10, concert_id: int = DEMO_CONCERT
    ) -> dict[str, str]:
        """A fan (a new account) who joined the line covering `concert_id`, was let in and used
        the turn on that concert (so it lasts): headers with the pass."""
        auth = self.sign_up(username)
        joined = self.client.post("/queue/tokens", json={"concert_id": concert_id}, headers=auth)
        assert joined.status_code == 201, joined.text
        headers = {**auth, "X-Queue-Token": joined.json()["token"]}
        deadline = time.monotonic() + timeout
        while True:
            status = self.client.get("/queue/status", headers=headers)
            if status.status_code == 200 and status.json()["status"] == "ACTIVE":
                break
            assert status.status_code in (200, 429), status.text  # 429: polled too soon
            assert time.monotonic() < deadline, "the fan was not let in"
            time.sleep(float(status.headers.get("Retry-After", 0.1)))
        claimed = self.client.get(f"/concerts/{concert_id}/schedules", headers=headers)
        assert claimed.status_code == 200, claimed.text
        return headers

    def leave(self, headers: dict[str, str]) -> None:
        """Give the place in line (or the turn) up; a pass already gone is fine."""
        response = self.client.delete("/queue/tokens/current", headers=headers)
        assert response.status_code in (204, 401), response.text

    def room(self) -> dict[str, Any]:
        response = self.client.get("/admin/queue", headers=self.admin)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def concert_with_date(self, title: str, tiers: list[dict[str, Any]]) -> tuple[int, int]:
        """A new concert with one date a month ahead priced by `tiers`: (concert, date) ids."""
        concert = self.client.post("/admin/concerts", json={"title": title}, headers=self.admin)
        assert concert.status_code == 201, concert.text
        starts_at = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        date = self.client.post(
            f"/admin/concerts/{concert.json()['id']}/schedules",
            json={"starts_at": starts_at, "price_tiers": tiers},
            headers=self.admin,
        )
        assert date.status_code == 201, date.text
        return int(concert.json()["id"]), int(date.json()["id"])

    def set_policy(self, **changes: Any) -> dict[str, Any]:
        response = self.client.put("/admin/queue", json=changes, headers=self.admin)
        assert response.status_code == 200, response.text
        return dict(response.json())


class Pages:
    """Opens pages, each in a browser context of its own (one fan each), and watches their
    consoles. On closing, every fan still holding a place in line or a turn gives it up, so the
    next test finds the one active slot free."""

    def __init__(self, browser: Browser, server: Server, api: Api) -> None:
        self.browser = browser
        self.server = server
        self.api = api
        self.contexts: list[BrowserContext] = []
        self.problems: list[str] = []
        # Console errors a test causes on purpose (answers it makes fail), beside the 4xx ones.
        self.expected_errors: re.Pattern[str] | None = None

    def new(self, *, phone: bool = False) -> Page:
        context = self.browser.new_context(
            base_url=self.server.url,
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            locale="en-US",
            timezone_id="Asia/Seoul",
        )
        self.contexts.append(context)
        # Chromium logs a refusal by the Content-Security-Policy as a console error too; this
        # makes sure of it, with what was refused and by which directive.
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.set_default_timeout(10_000)
        number = len(self.contexts)
        page.on("console", lambda message: self._console(number, message))
        page.on("pageerror", lambda error: self.problems.append(f"page {number}: {error}"))
        return page

    def _console(self, number: int, message: ConsoleMessage) -> None:
        if message.type != "error" or FAILED_4XX.match(message.text):
            return
        if self.expected_errors is not None and self.expected_errors.match(message.text):
            return
        self.problems.append(f"page {number} console error: {message.text}")

    def close(self) -> None:
        for context in self.contexts:
            for page in context.pages:
                self._leave_line(page)
            context.close()

    def _leave_line(self, page: Page) -> None:
        try:
            access, held = page.evaluate(
                "() => ['accessToken', 'pass'].map((n) => "
                "JSON.parse(sessionStorage.getItem('boxoffice.' + n)))"
            )
        except Error:
            return  # not on the app's origin: nothing stored
        if access and held and held.get("token"):
            self.api.leave({"Authorization": f"Bearer {access}", "X-Queue-Token": held["token"]})


def screen(page: Page, name: str) -> Locator:
    """The `section[data-screen=name]`; expect it visible to wait until the page shows it."""
    return page.locator(f"#screen-{name}")


def sign_up(page: Page, username: str) -> None:
    """Open the fan page, create the account and arrive at the concert list."""
    page.goto("/")
    expect(screen(page, "auth")).to_be_visible()
    page.fill("#signup-username", username)
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-submit")
    expect(screen(page, "concerts")).to_be_visible()
    expect(page.locator("#whoami")).to_have_text(f"Signed in as {username}")
    expect(page.locator(f"#concert-{DEMO_CONCERT}")).to_be_visible()


def join_line(page: Page, concert_id: int = DEMO_CONCERT) -> None:
    """From the concert list, choose the concert and join its line."""
    expect(screen(page, "concerts")).to_be_visible()
    page.check(f"#concert-{concert_id}")
    page.click("#join-button")


def open_date(page: Page, schedule_id: int) -> None:
    """From the dates, open a date's seat map and wait until its seats are drawn."""
    expect(screen(page, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS)
    page.click(f"#schedule-{schedule_id}")
    expect(screen(page, "seats")).to_be_visible()
    expect(page.locator("#seat-1")).to_have_attribute("data-state", "available")


def horizontal_overflow(page: Page) -> dict[str, int]:
    """The page's scroll width and client width: it scrolls sideways if scroll > client."""
    sizes: dict[str, int] = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    return sizes


def assert_no_horizontal_scroll(page: Page, where: str) -> None:
    sizes = horizontal_overflow(page)
    assert sizes["scroll"] <= sizes["client"], f"{where} scrolls sideways: {sizes}"


def snap(page: Page, name: str, at: str | None = None) -> None:
    """Write desktop-<name>.png and phone-<name>.png of the top of what the page shows now (the
    viewport, not the full page), or from the element `at` down, checking on the way that the
    phone width does not scroll sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size or DESKTOP
    try:
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.evaluate("() => window.scrollTo(0, 0)")
            if at is not None:
                page.locator(at).evaluate("(element) => element.scrollIntoView()")
            if label == "phone":
                assert_no_horizontal_scroll(page, f"{name} at phone width")
            page.screenshot(
                path=SCREENSHOTS / f"{label}-{name}.png", animations="disabled", caret="hide"
            )
    finally:
        page.set_viewport_size(original)


# Every control's accessible name, worked out from the DOM as assistive technology does
# (aria-labelledby, aria-label, <label>, title, a button's text); controls on hidden screens
# included, except a control hidden itself (like #error-action), which gets its words when shown.
UNNAMED_CONTROLS = """() => {
  const text = (value) => (value || '').replace(/\\s+/g, ' ').trim();
  const nameOf = (control) => {
    const ids = (control.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    const labelled = ids.map((id) => text(document.getElementById(id)?.textContent)).join(' ');
    const labels = [...(control.labels || [])].map((label) => text(label.textContent)).join(' ');
    const own = control.tagName === 'BUTTON' ? text(control.textContent) : '';
    return text(labelled) || text(control.getAttribute('aria-label')) || text(labels)
      || text(control.title) || own;
  };
  return [...document.querySelectorAll('input, select, textarea, button')]
    .filter((control) => control.type !== 'hidden' && !control.hidden && !nameOf(control))
    .map((control) => control.id || control.outerHTML.slice(0, 120));
}"""


def assert_every_control_named(page: Page) -> None:
    """Every input, select, textarea and button on the page has an accessible name: all of them
    by the DOM's rules, and the visible ones also by Playwright's accessibility engine."""
    unnamed = page.evaluate(UNNAMED_CONTROLS)
    assert unnamed == [], f"controls without an accessible name: {unnamed}"
    controls = page.locator("input, select, textarea, button")
    assert controls.count() > 0
    for control in controls.all():
        if control.is_visible():
            expect(control).to_have_accessible_name(re.compile(r"\S"))
