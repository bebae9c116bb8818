"""The admin page: the key, the waiting room's live figures, a new concert and date priced by
tiers, and an edit of the admission policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ADMIN_KEY,
    Api,
    Pages,
    assert_every_control_named,
    snap,
)

POLICY_FIELDS = ("max_active", "admit_per_minute", "active_ttl_seconds", "claim_seconds")


@pytest.mark.browser
def test_admin_key_figures_catalog_and_policy(pages: Pages, api: Api) -> None:
    before = api.room()["policy"]
    page = pages.new()
    page.goto("/admin.html")

    # A wrong key is refused in words, and the key field is offered again.
    page.fill("#admin-key", "not-the-key")
    page.click("#admin-key-submit")
    expect(page.locator("#error-message")).to_have_text(
        "The admin key was refused. Enter the right admin key."
    )
    expect(page.locator("#admin-panel")).to_be_hidden()
    expect(page.locator("#admin-key")).to_have_value("")
    expect(page.locator("#admin-key")).to_be_focused()
    snap(page, "admin-key-refused")

    page.fill("#admin-key", ADMIN_KEY)
    page.click("#admin-key-submit")
    expect(page.locator("#admin-panel")).to_be_visible()
    expect(page.locator("#admin-login")).to_be_hidden()
    expect(page.locator("#fig-waiting")).to_have_text("0")
    expect(page.locator("#fig-active")).to_have_text("0")
    expect(page.locator("#fig-admitted-last-minute")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#policy-max-active")).to_have_value("1")

    # A new concert; the date form then offers it.
    page.fill("#concert-title", "Browser Test Night")
    page.fill("#concert-venue", "Playwright Hall")
    page.click("#concert-submit")
    result = page.locator("#concert-result")
    expect(result).to_have_text(
        re.compile(r"^Created concert \d+: Browser Test Night\. Now add its dates\.$")
    )
    concert_id = re.findall(r"\d+", result.inner_text())[0]
    expect(page.locator("#schedule-concert")).to_have_value(concert_id)

    # A date with two price tiers.
    page.fill("#schedule-starts-at", "2030-05-01T19:00")
    page.check("#schedule-use-tiers")
    expect(page.locator("#tier-fields")).to_be_visible()
    expect(page.locator("#single-price")).to_be_hidden()
    expect(page.locator("#tier-name-1")).to_have_value("Standard")
    expect(page.locator("#tier-name-2")).to_have_value("VIP")
    page.fill("#tier-seats-1", "8")
    page.fill("#tier-price-1", "50000")
    page.fill("#tier-seats-2", "4")
    page.fill("#tier-price-2", "120000")
    expect(page.locator("#tier-total")).to_have_text("Seats in all: 12")
    assert_every_control_named(page)
    page.click("#schedule-submit")
    schedule_result = page.locator("#schedule-result")
    expect(schedule_result).to_have_text(re.compile(r"^Added date \d+: .*2030.*, 12 seats\.$"))
    schedule_id = re.findall(r"\d+", schedule_result.inner_text())[0]
    snap(page, "admin")

    # The figures are live: a fan let in shows as active within the 2 s refresh, and the new
    # date has the tiers' seats and prices.
    fan = api.active_fan("admin_watcher")
    try:
        expect(page.locator("#fig-active")).to_have_text("1")
        seats = api.client.get(f"/schedules/{schedule_id}/seats", headers=fan).json()
        assert [(s["number"], s["section"], s["price"]) for s in seats] == [
            *((n, "Standard", 50_000) for n in range(1, 9)),
            *((n, "VIP", 120_000) for n in range(9, 13)),
        ]
    finally:
        api.leave(fan)
    expect(page.locator("#fig-active")).to_have_text("0")

    # The policy: only the fields changed are sent.
    try:
        page.fill("#policy-admit-per-minute", "1200")
        page.fill("#policy-claim-seconds", "90")
        page.click("#policy-submit")
        expect(page.locator("#status")).to_have_text(
            "Policy saved: admit_per_minute, claim_seconds."
        )
        expect(page.locator("#policy-current")).to_contain_text("admit_per_minute 1200")
        expect(page.locator("#policy-current")).to_contain_text("claim_seconds 90")
        after = api.room()["policy"]
        assert (after["admit_per_minute"], after["claim_seconds"]) == (1200, 90)
        assert (after["max_active"], after["active_ttl_seconds"], after["opens_at"]) == (
            before["max_active"],
            before["active_ttl_seconds"],
            before["opens_at"],
        )
        page.click("#policy-submit")
        expect(page.locator("#status")).to_have_text("Nothing changed: edit a field first.")
    finally:
        api.set_policy(**{name: before[name] for name in POLICY_FIELDS})


@pytest.mark.browser
def test_the_opening_time_can_be_set_by_hand_between_refreshes(pages: Pages, api: Api) -> None:
    """Unticking "No opening time" and typing a time takes longer than the figures' 2 s refresh,
    which filled the form again while no value had changed yet (it ticked the box back)."""
    page = pages.new()
    page.goto("/admin.html")
    page.fill("#admin-key", ADMIN_KEY)
    page.click("#admin-key-submit")
    expect(page.locator("#policy-opens-none")).to_be_checked()
    try:
        page.uncheck("#policy-opens-none")
        page.wait_for_timeout(3_000)  # past a refresh
        expect(page.locator("#policy-opens-none")).not_to_be_checked()
        expect(page.locator("#policy-opens-at")).to_be_enabled()

        page.fill("#policy-opens-at", "2030-05-01T19:00:00")
        page.click("#policy-submit")
        expect(page.locator("#status")).to_contain_text("Policy saved: opens_at")
        assert api.room()["policy"]["opens_at"] is not None
    finally:
        api.set_policy(opens_at=None)
