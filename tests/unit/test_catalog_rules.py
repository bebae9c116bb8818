"""Catalog rules: a seat's state as of now, when a date is on sale, how seats are numbered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.catalog.domain import PriceTier, SeatStatus, is_on_sale, number_seats, seat_status

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
offsets = st.integers(min_value=-(10**7), max_value=10**7).map(lambda s: timedelta(seconds=s))


def test_an_available_seat_is_available() -> None:
    assert seat_status("AVAILABLE", None, NOW) is SeatStatus.AVAILABLE


def test_a_held_seat_is_held_until_its_hold_runs_out() -> None:
    assert seat_status("HELD", NOW + timedelta(seconds=1), NOW) is SeatStatus.HELD


@pytest.mark.parametrize("held_until", [NOW, NOW - timedelta(seconds=1), None])
def test_a_hold_at_or_past_its_end_frees_the_seat(held_until) -> None:
    assert seat_status("HELD", held_until, NOW) is SeatStatus.AVAILABLE


def test_a_sold_seat_stays_sold_whatever_the_time() -> None:
    assert seat_status("SOLD", None, NOW) is SeatStatus.SOLD
    assert seat_status("SOLD", NOW - timedelta(days=1), NOW) is SeatStatus.SOLD


def test_an_unknown_stored_state_is_refused() -> None:
    with pytest.raises(ValueError):
        seat_status("RESERVED", None, NOW)


@given(offsets)
def test_a_held_seat_is_held_exactly_while_its_hold_is_in_the_future(offset) -> None:
    expected = SeatStatus.HELD if offset > timedelta(0) else SeatStatus.AVAILABLE
    assert seat_status("HELD", NOW + offset, NOW) is expected


@given(offsets)
def test_a_date_is_on_sale_exactly_until_it_starts(offset) -> None:
    assert is_on_sale(NOW + offset, NOW) is (offset > timedelta(0))


def test_seats_are_numbered_from_one_across_the_tiers_in_order() -> None:
    tiers = [PriceTier("VIP", 2, 150_000), PriceTier("R", 3, 100_000)]

    assert list(number_seats(tiers)) == [
        (1, "VIP", 150_000),
        (2, "VIP", 150_000),
        (3, "R", 100_000),
        (4, "R", 100_000),
        (5, "R", 100_000),
    ]


def test_no_tiers_means_no_seats() -> None:
    assert list(number_seats([])) == []


tiers = st.lists(
    st.builds(
        PriceTier,
        name=st.text(min_size=1, max_size=5),
        seat_count=st.integers(min_value=0, max_value=30),
        price=st.integers(min_value=0, max_value=10**8),
    ),
    max_size=6,
)


@given(tiers)
def test_numbering_covers_one_to_n_and_keeps_each_tiers_price(price_tiers) -> None:
    seats = list(number_seats(price_tiers))

    assert [number for number, _, _ in seats] == list(range(1, len(seats) + 1))
    assert len(seats) == sum(t.seat_count for t in price_tiers)
    expected_prices = [t.price for t in price_tiers for _ in range(t.seat_count)]
    assert [price for _, _, price in seats] == expected_prices
