"""A line per concert in the browser: a fan holds a pass for each concert's line and sees each
concert's seats with the right one; a pass for another line is told and the concert's own line
joined; paying uses up only that concert's pass; and the admin page gives a concert a line of its
own, changes its policy and gives it up."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    ADMIN_KEY,
    ADMITTED_WITHIN_MS,
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

TIERS = [{"name": "Floor", "seat_count": 20, "price": 50_000}]  # seats 1-20
POLICY_FIELDS = ("max_active", "admit_per_minute", "active_ttl_seconds", "claim_seconds")


def line_of(api: Api, concert_id: int) -> dict[str, Any]:
    """GET /admin/concerts/{id}/queue: the line that covers the concert."""
    response = api.client.get(f"/admin/concerts/{concert_id}/queue", headers=api.admin)
    assert response.status_code == 200, response.text
    return dict(response.json())


def own_line(api: Api, concert_id: int, **policy: Any) -> dict[str, Any]:
    response = api.client.put(f"/admin/concerts/{concert_id}/queue", json=policy, headers=api.admin)
    assert response.status_code == 200, response.text
    return dict(response.json())


def give_line_up(api: Api, concert_id: int) -> None:
    response = api.client.delete(f"/admin/concerts/{concert_id}/queue", headers=api.admin)
    assert response.status_code == 204, response.text


def stored(page: Page) -> dict[str, Any]:
    """What the page keeps: the chosen concert and its pass, the other concerts' passes by
    concert id, the access token and the open hold."""
    found: dict[str, Any] = page.evaluate(
        "() => Object.fromEntries(['concert', 'pass', 'otherPasses', 'accessToken', 'reservation']"
        ".map((n) => [n, JSON.parse(sessionStorage.getItem('boxoffice.' + n))]))"
    )
    return found


def leave_every_line(api: Api, page: Page) -> None:
    """Give up every pass the page holds, so that later tests find the slots free."""
    kept = stored(page)
    if not kept["accessToken"]:
        return
    passes = [kept["pass"], *(kept["otherPasses"] or {}).values()]
    for token in {held["token"] for held in passes if held and held.get("token")}:
        api.leave({"Authorization": f"Bearer {kept['accessToken']}", "X-Queue-Token": token})


def top_up(page: Page, amount: int) -> None:
    page.click("#nav-wallet")
    expect(screen(page, "account")).to_be_visible()
    expect(page.locator("#topup-amount")).to_be_focused()
    page.fill("#topup-amount", str(amount))
    page.click("#topup-submit")
    expect(page.locator("#wallet-balance")).to_have_text(f"₩{amount:,}")
    page.click("#nav-concerts")
    expect(screen(page, "concerts")).to_be_visible()


def open_admin(page: Page) -> None:
    page.goto("/admin.html")
    page.fill("#admin-key", ADMIN_KEY)
    page.click("#admin-key-submit")
    expect(page.locator("#admin-panel")).to_be_visible()


@pytest.mark.browser
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_fan_joins_each_concerts_line_and_sees_each_map_with_its_pass(
    pages: Pages, api: Api, phone: bool
) -> None:
    width = "phone" if phone else "desktop"
    shared_title, own_title = f"Shared Line Night {width}", f"Own Line Night {width}"
    shared, shared_date = api.concert_with_date(shared_title, TIERS)
    own, own_date = api.concert_with_date(own_title, TIERS)
    room = own_line(api, own, max_active=1, admit_per_minute=60)
    assert room["concert_id"] == own
    assert room["policy"]["max_active"] == 1
    page = pages.new(phone=phone)
    ahead = api.active_fan(f"lines_ahead_{width}", concert_id=own)  # takes the own line's one slot
    try:
        sign_up(page, f"lines_fan_{width}")
        house_waiting = api.room()["waiting"]

        # The own line: the fan waits in it, first, and the queue screen names the concert.
        join_line(page, own)
        expect(screen(page, "queue")).to_be_visible()
        expect(page.locator("#queue-concert")).to_have_text(own_title)
        expect(page.locator("#queue-line")).to_have_text(
            "This concert has a line of its own: your place in it is for this concert only."
        )
        expect(page.locator("#queue-position")).to_have_text("1")
        assert line_of(api, own)["waiting"] == 1
        assert api.room()["waiting"] == house_waiting  # not in the house line
        assert_no_horizontal_scroll(page, "the waiting room of a concert's own line")
        api.leave(ahead)
        open_date(page, own_date)
        expect(page.locator("#seats-date")).to_contain_text(own_title)
        own_pass = stored(page)["pass"]
        assert (own_pass["line"], own_pass["status"]) == (own, "ACTIVE")

        # Another concert, in the house line: joined with the first pass kept, and let straight in.
        page.click("#nav-concerts")
        expect(screen(page, "concerts")).to_be_visible()
        expect(page.locator(f"#concert-{own}-pass")).to_have_text(
            "It's your turn for this concert."
        )
        expect(page.locator(f"#concert-{shared}-pass")).to_have_count(0)
        assert_no_horizontal_scroll(page, "the concerts with a place in a line")
        join_line(page, shared)
        open_date(page, shared_date)
        expect(page.locator("#seats-date")).to_contain_text(shared_title)
        kept = stored(page)
        assert kept["concert"]["id"] == shared
        assert (kept["pass"]["line"], kept["pass"]["status"]) == (None, "ACTIVE")
        assert kept["otherPasses"][str(own)]["token"] == own_pass["token"]
        assert line_of(api, own)["active"] == 1  # the first turn is still the fan's

        # Back to the first concert: its pass is taken up again, and its map opens with it.
        page.click("#nav-concerts")
        page.check(f"#concert-{own}")
        expect(page.locator("#join-button")).to_have_text("Continue: choose a date")
        page.check(f"#concert-{shared}")
        expect(page.locator("#join-button")).to_have_text("Continue: choose a date")
        join_line(page, own)
        open_date(page, own_date)
        expect(page.locator("#seats-date")).to_contain_text(own_title)
        kept = stored(page)
        assert kept["pass"]["token"] == own_pass["token"]
        assert kept["otherPasses"][str(shared)]["line"] is None
        expect(page.locator("#error")).to_be_hidden()
    finally:
        leave_every_line(api, page)
        api.leave(ahead)
        give_line_up(api, own)


@pytest.mark.browser
def test_a_pass_for_another_line_is_told_and_paying_uses_up_only_its_concerts_pass(
    pages: Pages, api: Api
) -> None:
    first_title = "Line Later Night"
    first, first_date = api.concert_with_date(first_title, TIERS)
    second, second_date = api.concert_with_date("Line Never Night", TIERS)
    page = pages.new()
    try:
        sign_up(page, "lines_switcher")
        top_up(page, 50_000)
        # Both concerts are in the house line: one pass opens both.
        join_line(page, second)
        expect(screen(page, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS)
        page.click("#change-concert")
        join_line(page, first)
        open_date(page, first_date)
        house_token = stored(page)["pass"]["token"]
        assert stored(page)["otherPasses"][str(second)]["token"] == house_token

        # The organizer gives the first concert a line of its own: the seat map's next refresh
        # is refused, and the fan is told to join this concert's line.
        own_line(api, first, max_active=1)
        expect(page.locator("#error-message")).to_have_text(
            f"This place in line does not open {first_title}: it is for another line (each "
            f"concert may have a line of its own). Join the line for {first_title}; your places "
            "in other lines are kept.",
            timeout=10_000,
        )
        kept = stored(page)
        assert kept["pass"] is None
        assert kept["otherPasses"][str(second)]["token"] == house_token
        expect(page.locator("#error-action")).to_have_text("Join this concert's line")
        page.click("#error-action")
        open_date(page, first_date)
        own_pass = stored(page)["pass"]
        assert own_pass["line"] == first
        assert own_pass["token"] != house_token

        # A hold of the first concert, paid for from My tickets once the second is chosen: the
        # payment is made with the first concert's pass, and uses up that pass only.
        page.click("#seat-3")
        page.click("#hold-button")
        expect(screen(page, "hold")).to_be_visible()
        reservation = stored(page)["reservation"]["id"]
        page.click("#nav-concerts")
        join_line(page, second)
        expect(screen(page, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS)
        page.click("#nav-tickets")
        page.click(f"#pay-reservation-{reservation}")
        expect(screen(page, "hold")).to_be_visible()
        page.click("#pay-button")
        expect(screen(page, "confirmation")).to_be_visible()
        expect(page.locator('#confirmation dd[data-field="concert"]')).to_have_text(first_title)
        kept = stored(page)
        assert kept["concert"]["id"] == first
        assert kept["pass"] is None
        assert kept["otherPasses"][str(second)]["token"] == house_token
        page.click("#nav-concerts")
        expect(page.locator(f"#concert-{second}-pass")).to_have_text(
            "It's your turn for this concert."
        )
        join_line(page, second)
        open_date(page, second_date)
        assert stored(page)["pass"]["token"] == house_token
    finally:
        leave_every_line(api, page)
        give_line_up(api, first)


@pytest.mark.browser
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_admin_page_gives_a_concert_a_line_and_gives_it_up(
    pages: Pages, api: Api, phone: bool
) -> None:
    width = "phone" if phone else "desktop"
    title = f"Admin Line Night {width}"
    concert, _ = api.concert_with_date(title, TIERS)
    house = api.room()["policy"]
    page = pages.new(phone=phone)
    fan: dict[str, str] | None = None
    try:
        open_admin(page)
        item = page.locator(f"#line-{concert}")
        expect(item).to_have_attribute("data-line", "house")
        expect(page.locator(f"#line-{concert}-kind")).to_have_text("House line")
        figures = page.locator(f"#line-{concert}-figures")
        expect(figures).to_have_text("Sold through the house line.")

        # A line of its own, starting from the house line's policy.
        page.click(f"#line-open-{concert}")
        expect(page.locator("#line-form")).to_be_visible()
        expect(page.locator("#line-form-heading")).to_have_text(f"A line of its own for {title}")
        expect(page.locator("#line-form-heading")).to_be_focused()
        expect(page.locator("#line-max-active")).to_have_value(str(house["max_active"]))
        page.fill("#line-max-active", "2")
        page.fill("#line-admit-per-minute", "30")
        assert_every_control_named(page)
        page.click("#line-submit")
        expect(page.locator("#status")).to_have_text(
            f"{title} has a line of its own now (max_active, admit_per_minute set)."
        )
        expect(page.locator("#line-form")).to_be_hidden()
        expect(item).to_have_attribute("data-line", "own")
        expect(page.locator(f"#line-edit-{concert}")).to_be_focused()
        line = line_of(api, concert)
        assert (line["concert_id"], line["closing"]) == (concert, False)
        assert (line["policy"]["max_active"], line["policy"]["admit_per_minute"]) == (2, 30)
        for name in ("active_ttl_seconds", "claim_seconds", "opens_at"):
            assert line["policy"][name] == house[name]
        assert api.room()["policy"] == house  # the house line is as it was

        # Its figures are live: a fan let in through it shows as shopping.
        fan = api.active_fan(f"admin_line_fan_{width}", concert_id=concert)
        expect(figures).to_contain_text("0 waiting · 1 shopping now", timeout=10_000)
        expect(page.locator(f"#line-{concert}-policy")).to_contain_text(
            "At most 2 shopping · 30 let in a minute"
        )

        # Its policy changed: only the field edited is sent.
        page.click(f"#line-edit-{concert}")
        expect(page.locator("#line-form-heading")).to_have_text(f"The line of {title}")
        expect(page.locator("#line-admit-per-minute")).to_have_value("30")
        page.fill("#line-admit-per-minute", "45")
        assert_no_horizontal_scroll(page, "the admin page's line form")
        snap(page, "admin-concert-line", at=f"#line-{concert}")
        page.click("#line-submit")
        expect(page.locator("#status")).to_have_text(
            f"Policy of the line of {title} saved: admit_per_minute."
        )
        line = line_of(api, concert)
        assert (line["policy"]["max_active"], line["policy"]["admit_per_minute"]) == (2, 45)

        # Given up: no one joins it now; it ends once its last fan is gone.
        page.click(f"#line-close-{concert}")
        expect(page.locator(f"#line-close-{concert}")).to_have_attribute("aria-expanded", "true")
        expect(page.locator(f"#line-close-confirm-{concert}")).to_be_focused()
        page.click(f"#line-close-confirm-{concert}")
        expect(page.locator("#status")).to_have_text(
            f"The line of {title} was given up: no one joins it now, and the concert goes back "
            "to the house line once the line is empty."
        )
        expect(item).to_have_attribute("data-line", "closing")
        expect(page.locator(f"#line-{concert}-kind")).to_have_text("Line given up: ends once empty")
        line = line_of(api, concert)
        assert (line["concert_id"], line["closing"]) == (concert, True)
        api.leave(fan)
        fan = None
        expect(item).to_have_attribute("data-line", "house", timeout=15_000)
        assert line_of(api, concert)["concert_id"] is None
        assert_no_horizontal_scroll(page, "the admin page's lines")
        expect(page.locator("#lines-updated")).to_contain_text("Lines updated")
    finally:
        if fan is not None:
            api.leave(fan)
        if line_of(api, concert)["concert_id"] is not None:
            give_line_up(api, concert)
