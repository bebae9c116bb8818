"""Reservation rules: when a hold has expired, what a reservation costs, the per-fan hold limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.reservations.domain import (
    ReservationStatus,
    ReservedSeat,
    effective_status,
    total_amount,
    within_hold_limit,
)

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def test_a_hold_before_its_deadline_is_held() -> None:
    assert effective_status("HELD", NOW + timedelta(seconds=1), NOW) is ReservationStatus.HELD


@pytest.mark.parametrize("held_until", [NOW, NOW - timedelta(minutes=5)])
def test_a_hold_at_or_past_its_deadline_is_expired_before_any_sweeper(held_until) -> None:
    assert effective_status("HELD", held_until, NOW) is ReservationStatus.EXPIRED


@pytest.mark.parametrize("stored", ["CONFIRMED", "CANCELLED", "EXPIRED"])
def test_only_a_hold_expires_with_time(stored) -> None:
    long_ago = NOW - timedelta(days=30)

    assert effective_status(stored, long_ago, NOW) is ReservationStatus(stored)


@given(
    hold_seconds=st.integers(min_value=1, max_value=3600),
    elapsed=st.integers(min_value=0, max_value=7200),
)
def test_a_hold_is_live_for_exactly_its_hold_seconds(hold_seconds, elapsed) -> None:
    held_at = NOW
    held_until = held_at + timedelta(seconds=hold_seconds)

    status = effective_status("HELD", held_until, held_at + timedelta(seconds=elapsed))

    live = elapsed < hold_seconds
    assert status is (ReservationStatus.HELD if live else ReservationStatus.EXPIRED)


def test_the_amount_is_the_sum_of_the_seat_prices() -> None:
    seats = [ReservedSeat(1, 165_000), ReservedSeat(2, 165_000), ReservedSeat(9, 99_000)]

    assert total_amount(seats) == 429_000


def test_no_seats_cost_nothing() -> None:
    assert total_amount([]) == 0


prices = st.lists(st.integers(min_value=0, max_value=100_000_000), max_size=50)


@given(prices)
def test_the_amount_is_an_exact_integer_sum(seat_prices) -> None:
    seats = [ReservedSeat(n, p) for n, p in enumerate(seat_prices, start=1)]

    amount = total_amount(seats)

    assert isinstance(amount, int)
    assert amount == sum(seat_prices)
    assert amount >= max(seat_prices, default=0)


@given(prices, prices)
def test_the_amount_of_two_parts_is_the_sum_of_their_amounts(first, second) -> None:
    seats_a = [ReservedSeat(n, p) for n, p in enumerate(first, start=1)]
    seats_b = [ReservedSeat(n, p) for n, p in enumerate(second, start=100)]

    assert total_amount(seats_a + seats_b) == total_amount(seats_a) + total_amount(seats_b)


@pytest.mark.parametrize(
    ("already", "requested", "allowed"),
    [(0, 4, True), (3, 1, True), (4, 0, True), (3, 2, False), (0, 5, False), (4, 1, False)],
)
def test_a_fan_may_hold_up_to_the_limit_at_once(already, requested, allowed) -> None:
    assert within_hold_limit(already, requested, limit=4) is allowed


@given(
    already=st.integers(min_value=0, max_value=100),
    requested=st.integers(min_value=1, max_value=100),
    limit=st.integers(min_value=1, max_value=100),
)
def test_an_allowed_hold_never_takes_a_fan_past_the_limit(already, requested, limit) -> None:
    if within_hold_limit(already, requested, limit):
        assert already + requested <= limit
    else:
        assert already + requested > limit
