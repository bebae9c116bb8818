"""Two fans at once, from signing up to the confirmation: one waits in line while the other buys,
then sees the first one's seats sold and lets a hold of their own run out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    ADMITTED_WITHIN_MS,
    HOLD_SECONDS,
    Pages,
    join_line,
    open_date,
    screen,
    sign_up,
    snap,
)

DATE = 1
VIP = 165_000  # seats 1-10 of a demo date


def won(amount: int) -> str:
    return f"₩{amount:,}"


def top_up_from_the_wallet(page: Page, amount: int) -> None:
    page.click("#nav-wallet")
    expect(screen(page, "account")).to_be_visible()
    expect(page.locator("#topup-amount")).to_be_focused()
    page.fill("#topup-amount", str(amount))
    page.click("#topup-submit")
    expect(page.locator("#topup-result")).to_have_text(
        f"Added {won(amount)}. New balance: {won(amount)}."
    )
    expect(page.locator("#wallet-balance")).to_have_text(won(amount))


def buy_two_seats_short_of_money(page: Page, balance: int) -> str:
    """Hold seats 5 and 6, pay with too little, top up what is missing, pay; the reservation id."""
    page.click("#seat-5")
    page.click("#seat-6")
    expect(page.locator("#seat-5")).to_have_attribute("data-state", "selected")
    expect(page.locator("#selection-summary")).to_have_text(
        f"Seats 5 and 6 selected · total {won(2 * VIP)}"
    )
    page.click("#hold-button")

    expect(screen(page, "hold")).to_be_visible()
    expect(page.locator("#hold-countdown")).to_have_text(re.compile(rf"^0:0[0-{HOLD_SECONDS}]$"))
    expect(page.locator("#hold-amount")).to_have_text(won(2 * VIP))
    missing = 2 * VIP - balance
    expect(page.locator("#pay-hint")).to_contain_text(f"{won(missing)} short: top up first")

    page.click("#pay-button")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error-message")).to_have_text(
        f"Your balance is too low: top up your wallet and pay again. You need {won(missing)} more."
    )
    expect(page.locator("#topup-amount")).to_have_value(str(missing))
    expect(page.locator("#topup-amount")).to_be_focused()
    expect(screen(page, "hold")).to_be_visible()
    snap(page, "hold-insufficient-balance")

    page.click("#topup-submit")
    expect(page.locator("#wallet-panel-balance")).to_have_text(won(2 * VIP))
    expect(page.locator("#pay-hint")).to_contain_text("covers this payment")
    page.click("#pay-button")

    expect(screen(page, "confirmation")).to_be_visible()
    details = page.locator("#confirmation")
    expect(details.locator('dd[data-field="seats"]')).to_have_text("5, 6")
    expect(details.locator('dd[data-field="paid"]')).to_have_text(won(2 * VIP))
    expect(details.locator('dd[data-field="balance-left"]')).to_have_text(won(0))
    expect(page.locator("#pass-banner")).to_be_hidden()
    return details.locator('dd[data-field="reservation"]').inner_text()


@pytest.mark.browser
def test_one_fan_waits_in_line_while_the_other_buys(pages: Pages) -> None:
    ana, ben = pages.new(), pages.new()

    ana.goto("/")
    expect(screen(ana, "auth")).to_be_visible()
    snap(ana, "sign-in")
    sign_up(ana, "ana")
    snap(ana, "concerts")
    top_up_from_the_wallet(ana, 100_000)
    ana.click("#nav-concerts")
    join_line(ana)
    # The only active slot is free: Ana is let in at once and chooses a date.
    expect(screen(ana, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS)
    expect(ana.locator("#pass-banner")).to_be_visible()
    expect(ana.locator("#active-countdown")).to_have_text(re.compile(r"^\d+:\d\d$"))

    # Ben joins while Ana shops: he waits, first in line, and is told what comes next.
    sign_up(ben, "ben")
    join_line(ben)
    expect(screen(ben, "queue")).to_be_visible()
    expect(ben.locator("#queue-position")).to_have_text("1")
    expect(ben.locator("#queue-wait")).to_have_text(re.compile(r"minute|min|h"))
    expect(ben.locator("#queue-progress")).to_be_visible()
    expect(ben.locator("#queue-progress")).to_have_attribute("max", "100")
    expect(ben.locator("#queue-next")).to_contain_text("You're next")
    # Live through the event stream where the server offers one, else by polling.
    expect(ben.locator("#queue-mode")).to_have_text(
        re.compile(r"^(Live updates: .+|Checking your place every \d+ s\. .+)$")
    )
    snap(ben, "queue")

    snap(ana, "dates")
    open_date(ana, DATE)
    reservation = buy_two_seats_short_of_money(ana, balance=100_000)
    snap(ana, "confirmation")

    # The payment used Ana's turn up, so Ben is let in and finds her seats sold.
    expect(screen(ben, "dates")).to_be_visible(timeout=ADMITTED_WITHIN_MS)
    expect(ben.locator("#pass-banner")).to_be_visible()
    open_date(ben, DATE)
    for number in (5, 6):
        expect(ben.locator(f"#seat-{number}")).to_have_attribute("data-state", "sold")
        expect(ben.locator(f"#seat-{number}")).to_have_attribute("aria-disabled", "true")
    ben.click("#seat-7")
    expect(ben.locator("#seat-7")).to_have_attribute("data-state", "selected")
    snap(ben, "seats")

    # Ben holds seat 7 and lets the hold run out: the seat is free again.
    ben.click("#hold-button")
    expect(screen(ben, "hold")).to_be_visible()
    expect(ben.locator("#hold-seats")).to_have_text(f"Seat 7 — {won(VIP)}")
    snap(ben, "hold")
    expect(ben.locator("#error-message")).to_have_text(
        "Your hold expired and seat 7 was released. Pick your seats again.",
        timeout=(HOLD_SECONDS + 5) * 1000,
    )
    expect(screen(ben, "seats")).to_be_visible()
    expect(ben.locator("#seat-7")).to_have_attribute("data-state", "available")
    snap(ben, "hold-expired")

    # Ana's tickets: the reservation is confirmed; cancelling it refunds her and frees the seats.
    ana.click("#view-tickets-button")
    expect(screen(ana, "account")).to_be_visible()
    item = ana.locator(f"#reservation-{reservation}")
    expect(item).to_have_attribute("data-status", "CONFIRMED")
    expect(item).to_contain_text(f"Seats 5, 6 · {won(2 * VIP)}")
    expect(ana.locator("#payment-list .item")).to_have_count(1)
    expect(ana.locator("#payment-list")).to_contain_text(f"Reservation {reservation}")
    expect(ana.locator("#transaction-list .item")).to_have_count(3)
    snap(ana, "tickets")
    ana.click(f"#cancel-{reservation}")
    ana.click(f"#cancel-confirm-{reservation}")
    expect(ana.locator("#status")).to_have_text(
        f"Cancelled. {won(2 * VIP)} went back to your wallet."
    )
    expect(item).to_have_attribute("data-status", "CANCELLED")
    expect(ana.locator("#wallet-balance")).to_have_text(won(2 * VIP))
    expect(ana.locator("#transaction-list .item").first).to_contain_text(f"Refund +{won(2 * VIP)}")
    for number in (5, 6):  # Ben's map refreshes every 3 s
        expect(ben.locator(f"#seat-{number}")).to_have_attribute(
            "data-state", "available", timeout=10_000
        )
