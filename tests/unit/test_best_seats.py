"""Best available seats (`reservations.domain.best_seats`): where they are picked, and which."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from boxoffice.catalog.domain import FreeSection
from boxoffice.reservations.domain import best_seats


@st.composite
def houses(draw: st.DrawFn) -> list[FreeSection]:
    """Sections numbered in order (1..n across them), some seats taken."""
    sections, number = [], 0
    for name in draw(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=4, unique=True)):
        size = draw(st.integers(min_value=0, max_value=30))
        numbers = range(number + 1, number + size + 1)
        number += size
        free = tuple(n for n in numbers if draw(st.booleans()))
        sections.append(FreeSection(name, draw(st.sampled_from([100, 200, 300])), free))
    return sections


def span(numbers: tuple[int, ...]) -> int:
    return numbers[-1] - numbers[0]


def windows(free: tuple[int, ...], quantity: int) -> list[tuple[int, ...]]:
    return [free[i : i + quantity] for i in range(len(free) - quantity + 1)]


@given(houses(), st.integers(min_value=1, max_value=6))
def test_the_dearest_section_with_room_gives_its_closest_seats(sections, quantity) -> None:
    picked = best_seats(sections, quantity)

    with_room = [s for s in sections if len(s.free) >= quantity]
    everywhere = tuple(sorted(n for s in sections for n in s.free))
    if with_room:
        dearest = max(s.price for s in with_room)
        pool = next(s.free for s in with_room if s.price == dearest)
    else:
        pool = everywhere
    if len(pool) < quantity:
        assert picked is None
        return
    assert picked is not None
    assert picked in windows(pool, quantity)  # consecutive free seats of the pool, in order
    assert span(picked) == min(span(w) for w in windows(pool, quantity))
    # The first of the closest: a run nearest the front whenever a run exists.
    assert picked == next(w for w in windows(pool, quantity) if span(w) == span(picked))
    if any(span(w) == quantity - 1 for w in windows(pool, quantity)):
        assert picked == tuple(range(picked[0], picked[0] + quantity))


@given(houses(), st.integers(min_value=1, max_value=6), st.sampled_from("ABCDEZ"))
def test_a_named_section_gives_its_seats_or_none(sections, quantity, name) -> None:
    picked = best_seats(sections, quantity, name)

    pool = next((s.free for s in sections if s.name == name), ())
    if len(pool) < quantity:
        assert picked is None
    else:
        assert picked is not None
        assert picked in windows(pool, quantity)
        assert span(picked) == min(span(w) for w in windows(pool, quantity))


def test_a_run_beats_seats_nearer_the_front_with_a_gap() -> None:
    house = [FreeSection("Floor", 300, (1, 3, 5, 6, 7, 9)), FreeSection("Stand", 100, (20, 21))]

    assert best_seats(house, 3) == (5, 6, 7)
    assert best_seats(house, 2) == (5, 6)
    assert best_seats(house, 2, "Stand") == (20, 21)
    assert best_seats(house, 4) == (3, 5, 6, 7)  # no run of four: the closest four
    assert best_seats(house, 7) == (3, 5, 6, 7, 9, 20, 21)  # no section alone has seven
    assert best_seats(house, 9) is None
    assert best_seats(house, 3, "Stand") is None
