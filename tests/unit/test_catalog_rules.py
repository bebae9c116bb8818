"""Catalog rules: when a date is on sale, how seats are numbered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from boxoffice.catalog.domain import PriceTier, is_on_sale, number_seats

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
offsets = st.integers(min_value=-(10**7), max_value=10**7).map(lambda s: timedelta(seconds=s))


@given(offsets)
def test_a_date_is_on_sale_exactly_until_it_starts(offset) -> None:
    assert is_on_sale(NOW + offset, NOW) is (offset > timedelta(0))


def test_seats_are_numbered_from_one_across_the_tiers_in_order() -> None:
    tiers = [PriceTier("VIP", 2, 150_000), PriceTier("R", 3, 100_000)]

    assert list(number_seats(tiers)) == [(1, 2, "VIP", 150_000), (3, 5, "R", 100_000)]


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
    seats = [
        (number, price)
        for first, last, _, price in number_seats(price_tiers)
        for number in range(first, last + 1)
    ]

    assert [number for number, _ in seats] == list(range(1, len(seats) + 1))
    assert len(seats) == sum(t.seat_count for t in price_tiers)
    expected_prices = [t.price for t in price_tiers for _ in range(t.seat_count)]
    assert [price for _, price in seats] == expected_prices
