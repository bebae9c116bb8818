"""How a fan picks a date and seats it saw available."""

from __future__ import annotations

import json
import random

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice_rush.seats import available_numbers, choose_schedule, free_numbers, pick_seats


def test_only_available_seats_are_candidates() -> None:
    seats = [
        {"id": 1, "number": 1, "status": "SOLD"},
        {"id": 2, "number": 2, "status": "AVAILABLE"},
        {"id": 3, "number": 3, "status": "HELD"},
        {"id": 4, "number": 4, "status": "AVAILABLE"},
    ]
    assert available_numbers(seats) == [2, 4]


@given(
    available=st.lists(st.integers(1, 10_000), unique=True).map(sorted),
    count=st.integers(1, 4),
    seed=st.integers(),
)
def test_picks_distinct_available_seats(available: list[int], count: int, seed: int) -> None:
    picked = pick_seats(available, count, random.Random(seed))
    assert len(picked) == min(count, len(available))
    assert len(set(picked)) == len(picked)
    assert set(picked) <= set(available)
    assert picked == sorted(picked)


def test_picks_neighbours_in_the_available_list() -> None:
    available = list(range(1, 101))
    picked = pick_seats(available, 4, random.Random(7))
    assert picked == list(range(picked[0], picked[0] + 4))


def test_fans_spread_over_the_hall() -> None:
    rng = random.Random(1)
    starts = {pick_seats(list(range(1, 1001)), 2, rng)[0] for _ in range(200)}
    assert len(starts) > 150


def test_picking_none_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        pick_seats([1, 2], 0, random.Random(0))


def test_a_date_without_seats_is_never_chosen() -> None:
    schedules = [
        {"id": 1, "available_seats": 0},
        {"id": 2, "available_seats": 5},
        {"id": 3, "available_seats": 0},
    ]
    rng = random.Random(3)
    assert {choose_schedule(schedules, rng)["id"] for _ in range(50)} == {2}  # type: ignore[index]


def test_sold_out_when_no_date_has_seats() -> None:
    assert choose_schedule([{"id": 1, "available_seats": 0}], random.Random(0)) is None
    assert choose_schedule([], random.Random(0)) is None


def test_dates_are_drawn_in_proportion_to_their_seats() -> None:
    schedules = [{"id": 1, "available_seats": 900}, {"id": 2, "available_seats": 100}]
    rng = random.Random(5)
    picks = [choose_schedule(schedules, rng)["id"] for _ in range(2000)]  # type: ignore[index]
    assert 0.85 < picks.count(1) / len(picks) < 0.95


# What the server may call a section: any text, including what the fast reading looks for.
_SECTIONS = (
    st.none()
    | st.text(max_size=12)
    | st.sampled_from(['"status":"AVAILABLE"', '"number":7,', "AVAILABLE", "{", "}", '\\"', "A"])
)
_SEATS = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.integers(1, 10**9),
            "number": st.integers(1, 100_000),
            "section": _SECTIONS,
            "price": st.integers(0, 10**7),
            "status": st.sampled_from(["AVAILABLE", "HELD", "SOLD"]),
        }
    ),
    max_size=30,
)


@given(seats=_SEATS, written=st.sampled_from(["server", "spaced", "status first"]))
def test_free_numbers_reads_a_map_as_parsing_it_would(
    seats: list[dict[str, object]], written: str
) -> None:
    if written == "status first":  # another field order: each status before its number
        seats = [{"status": seat["status"], **seat} for seat in seats]
    raw = json.dumps(seats).encode() if written == "spaced" else orjson.dumps(seats)
    assert free_numbers(raw) == available_numbers(seats)


def test_free_numbers_of_what_is_not_a_list_of_seats_is_none() -> None:
    assert free_numbers(b"<html>") is None
    assert free_numbers(b'{"status":"AVAILABLE"}') is None
    assert free_numbers(b"[") is None
    assert free_numbers(b"[]") == []
