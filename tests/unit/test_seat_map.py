"""Seat maps rendered from a date's fixed part and its taken seats: the same bytes as before,
and kept so by the changes a process makes to a map it holds."""

from __future__ import annotations

import gzip

import orjson
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.catalog.domain import Seat, SeatStatus
from boxoffice.catalog.seat_map import SeatLayout, SeatLayouts, SeatMap

# Characters JSON escapes or encodes in several bytes, from a fixed alphabet: Hypothesis's full
# Unicode tables take over a second to build on a fresh checkout, past its health check.
ALPHABET = 'Az09 "\\/\n\t\x00\x1f\u00e9\u20ac\U0001f3b5'
sections = st.text(alphabet=st.sampled_from(ALPHABET), max_size=12)
ids = st.integers(min_value=1, max_value=2**53)
prices = st.integers(min_value=0, max_value=10**12)
states = st.sampled_from(list(SeatStatus))


@st.composite
def dates(draw: st.DrawFn) -> list[Seat]:
    """A date's seats by number (gaps allowed), each in some state."""
    numbers = sorted(draw(st.sets(st.integers(min_value=1, max_value=10_000), max_size=60)))
    return [Seat(draw(ids), n, draw(sections), draw(prices), draw(states)) for n in numbers]


def layout_of(seats: list[Seat]) -> list[tuple[int, int, str, int]]:
    return [(s.id, s.number, s.section, s.price) for s in seats]


def taken_of(seats: list[Seat]) -> dict[SeatStatus, list[int]]:
    taken: dict[SeatStatus, list[int]] = {}
    for seat in seats:
        if seat.status is not SeatStatus.AVAILABLE:
            taken.setdefault(seat.status, []).append(seat.number)
    return taken


@given(dates(), st.integers(min_value=1, max_value=8))
def test_a_map_is_byte_for_byte_the_seats_serialized(seats, block_seats) -> None:
    layout = SeatLayout(layout_of(seats), block_seats)

    assert SeatMap(layout, taken_of(seats)).tagged().body == orjson.dumps(seats)


changes = st.lists(
    st.tuples(st.lists(st.integers(min_value=0, max_value=10_001), max_size=5), states),
    max_size=12,
)


@given(dates(), st.integers(min_value=1, max_value=8), changes)
def test_a_changed_map_is_the_map_of_its_new_states(seats, block_seats, changed) -> None:
    """After each change: the same bytes, tag and gzip encoding as a map built afresh from
    the same states, whatever blocks the change fell in (numbers the date lacks ignored)."""
    layout = SeatLayout(layout_of(seats), block_seats)
    seat_map = SeatMap(layout, taken_of(seats))
    now = {s.number: s for s in seats}
    for picks, status in changed:
        numbers = [seats[i % len(seats)].number for i in picks] if seats else picks
        before = seat_map.tagged()
        seat_map.change(numbers, status, news=False)
        for number in numbers:
            if number in now:
                seat = now[number]
                now[number] = Seat(seat.id, seat.number, seat.section, seat.price, status)
        expected = [now[s.number] for s in seats]
        tagged, fresh = seat_map.tagged(), SeatMap(layout, taken_of(expected)).tagged()
        assert tagged.body == orjson.dumps(expected)
        assert tagged.etag == fresh.etag
        assert (tagged.etag == before.etag) == (tagged.body == before.body)
        encoded, gzip_tag = tagged.gzipped()
        assert gzip.decompress(encoded) == tagged.body
        assert gzip_tag != tagged.etag


def test_seats_found_taken_show_held_only_where_the_map_showed_them_free() -> None:
    layout = SeatLayout([(10 + n, n, "A", 100) for n in range(1, 6)], block_seats=2)
    seat_map = SeatMap(layout, {SeatStatus.SOLD: [2]})

    seat_map.mark_taken([1, 2, 9], news=False)

    shown = [seat["status"] for seat in orjson.loads(seat_map.tagged().body)]
    assert shown == ["HELD", "SOLD", "AVAILABLE", "AVAILABLE", "AVAILABLE"]


def _shown(seat_map: SeatMap) -> list[str]:
    return [seat["status"] for seat in orjson.loads(seat_map.tagged().body)]


def test_news_never_overrides_a_write_made_here_and_shows_elsewhere() -> None:
    layout = SeatLayout([(10 + n, n, "A", 100) for n in range(1, 4)], block_seats=2)
    seat_map = SeatMap(layout, {SeatStatus.HELD: [1]})

    seat_map.change([1], SeatStatus.AVAILABLE, news=False)  # a cancel here
    seat_map.change([1], SeatStatus.HELD, news=False)  # and another fan's hold here
    seat_map.change([1, 2], SeatStatus.AVAILABLE, news=True)  # late news of an older cancel
    seat_map.change([3], SeatStatus.SOLD, news=True)
    seat_map.change([2], SeatStatus.AVAILABLE, news=False)  # freed here ...
    seat_map.mark_taken([2], news=True)  # ... after a refusal elsewhere, told late

    assert _shown(seat_map) == ["HELD", "AVAILABLE", "SOLD"]


@given(dates(), dates())
def test_one_layout_renders_each_new_state_of_its_seats(seats, later) -> None:
    layout = SeatLayout(layout_of(seats))
    SeatMap(layout, taken_of(seats)).tagged()
    states = {s.number: s.status for s in later}
    now = [
        Seat(s.id, s.number, s.section, s.price, states.get(s.number, SeatStatus.AVAILABLE))
        for s in seats
    ]

    assert SeatMap(layout, taken_of(now)).tagged().body == orjson.dumps(now)


def test_a_taken_number_the_date_does_not_have_is_left_out() -> None:
    layout = SeatLayout([(7, 1, "A", 100)])

    assert orjson.loads(SeatMap(layout, {SeatStatus.SOLD: [2]}).tagged().body) == [
        {"id": 7, "number": 1, "section": "A", "price": 100, "status": "AVAILABLE"}
    ]


def test_a_date_with_no_seats_is_an_empty_list() -> None:
    assert SeatMap(SeatLayout([]), {}).tagged().body == b"[]"


def test_layouts_past_the_seat_budget_drop_the_least_recently_used() -> None:
    layouts = SeatLayouts(max_seats=5)
    first = layouts.put(1, SeatLayout([(1, 1, "", 1), (2, 2, "", 1)]))
    layouts.put(2, SeatLayout([(3, 1, "", 1), (4, 2, "", 1)]))
    assert layouts.get(1) is first  # 1 is now the most recently used

    layouts.put(3, SeatLayout([(5, 1, "", 1), (6, 2, "", 1)]))

    assert layouts.get(2) is None
    assert layouts.get(1) is first
    assert layouts.get(3) is not None


def test_a_map_larger_than_the_budget_is_still_kept_alone() -> None:
    layouts = SeatLayouts(max_seats=1)
    big = layouts.put(1, SeatLayout([(1, 1, "", 1), (2, 2, "", 1)]))

    assert layouts.get(1) is big
