"""Browser hardening seen from Chromium: the pages run under a Content-Security-Policy with no
violation (every page of `Pages` reports one as a console error, which fails its test), the
policy is enforced, /docs renders from this server alone, and a waiting fan's event stream is
opened with a stream ticket: no URL the page requests carries the access token."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.support import (
    ADMITTED_WITHIN_MS,
    Api,
    Pages,
    join_line,
    screen,
    sign_up,
)

LIVE = "Live updates"  # the page's word for following the line on the event stream
STREAM = "/api/v1/queue/stream?"


def _requested(page: Page) -> list[str]:
    urls: list[str] = []

    def note(request: Request) -> None:
        urls.append(request.url)

    page.on("request", note)
    return urls


@pytest.mark.browser
def test_a_waiting_fan_streams_with_a_ticket_not_the_access_token(pages: Pages, api: Api) -> None:
    holder = api.active_fan("hardening_holder")  # the one slot: the fan on screen waits
    page = pages.new()
    urls = _requested(page)
    sign_up(page, "hardening_fan")
    with page.expect_request(lambda request: STREAM in request.url):
        join_line(page)
    expect(screen(page, "queue")).to_be_visible()
    expect(page.locator("#queue-mode")).to_contain_text(LIVE)

    # A second stream of the pass (the browser closed the first), with a ticket of its own.
    with page.expect_request(lambda request: STREAM in request.url):
        page.reload()
    expect(screen(page, "queue")).to_be_visible()
    expect(page.locator("#queue-mode")).to_contain_text(LIVE)

    streams = [url for url in urls if STREAM in url]
    assert len(streams) == 2, urls
    assert all("ticket=" in url and "access_token=" not in url for url in streams), streams
    access = page.evaluate("() => JSON.parse(sessionStorage.getItem('boxoffice.accessToken'))")
    assert access
    assert not [url for url in urls if access in url]

    api.leave(holder)  # the fan's turn, heard on the stream
    expect(screen(page, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS)


@pytest.mark.browser
def test_the_policy_is_enforced_inline_script_and_framing_refused(pages: Pages) -> None:
    page = pages.new()
    response = page.goto("/")
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(screen(page, "auth")).to_be_visible()

    before = len(pages.problems)
    ran = page.evaluate(
        """() => {
        const script = document.createElement('script');
        script.textContent = 'window.injected = true';
        document.head.append(script);
        return window.injected === true;
    }"""
    )
    assert ran is False
    page.wait_for_function("() => window.cspViolations?.length > 0")  # reported a moment later
    provoked = pages.problems[before:]
    assert any("CSP violation: script-src-elem refused inline" in p for p in provoked), provoked
    assert all("inline" in p for p in provoked), provoked
    del pages.problems[before:]  # the refusals this test provoked are not failures

    # Another origin (here, a page of its own) may not frame the fans' page.
    framing = pages.new()
    framing.set_content(f'<iframe src="{pages.server.url}/"></iframe>')
    framing.wait_for_timeout(1000)
    frame = framing.frames[-1]
    assert frame is not framing.main_frame
    assert frame.locator("#screen-auth").count() == 0
    assert all("frame-ancestors" in p for p in pages.problems[before:]), pages.problems
    del pages.problems[before:]


@pytest.mark.browser
def test_the_api_docs_render_from_this_server_alone(pages: Pages) -> None:
    page = pages.new()
    urls = _requested(page)
    page.goto("/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("boxoffice")
    expect(page.get_by_text("/api/v1/queue/stream-tickets")).to_be_visible()
    assert urls
    elsewhere = [u for u in urls if not u.startswith((pages.server.url, "data:"))]
    assert not elsewhere, elsewhere
