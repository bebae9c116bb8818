"""The board's minutes (`board.domain.board_minutes`) from samples and counts by minute."""

from __future__ import annotations

from boxoffice.board.domain import BOARD_MINUTES, board_minutes
from boxoffice.waiting_room.domain import SAMPLE_SECONDS, RoomSample

NOW = 29_000_000  # a Unix minute
PER_MINUTE = 60 // SAMPLE_SECONDS


def slot(minute: int, index: int = 0) -> int:
    return minute * PER_MINUTE + index


def test_thirty_minutes_ending_now_with_sales_counted_where_they_fell() -> None:
    minutes = board_minutes(
        NOW, {}, holds={NOW: 4, NOW - 29: 1, NOW - 30: 99}, sales={NOW - 1: (3, 9_000)},
        lapsed={NOW: 2},
    )  # fmt: skip

    assert [m.minute for m in minutes] == list(range(NOW - BOARD_MINUTES + 1, NOW + 1))
    assert [m.holds for m in minutes][:1] + [m.holds for m in minutes][-1:] == [1, 4]
    assert sum(m.holds for m in minutes) == 5  # the minute before the window is not shown
    assert (minutes[-2].tickets_sold, minutes[-2].revenue) == (3, 9_000)
    assert minutes[-1].holds_expired == 2
    assert {(m.waiting, m.active, m.admitted) for m in minutes} == {(None, None, None)}


def test_levels_are_the_minute_s_last_sample_and_admitted_the_change_since_the_last() -> None:
    samples = {
        slot(NOW - 2, 5): RoomSample(waiting=50, active=10, admitted_total=100),
        slot(NOW - 1, 0): RoomSample(waiting=45, active=12, admitted_total=104),
        slot(NOW - 1, 5): RoomSample(waiting=40, active=11, admitted_total=110),
        slot(NOW, 1): RoomSample(waiting=38, active=9, admitted_total=113),
        slot(NOW - 5, 2): RoomSample(waiting=70, active=0, admitted_total=80),
    }

    minutes = {m.minute: m for m in board_minutes(NOW, samples, {}, {}, {})}

    assert (minutes[NOW - 1].waiting, minutes[NOW - 1].active) == (40, 11)
    assert minutes[NOW - 1].admitted == 10
    assert (minutes[NOW].waiting, minutes[NOW].admitted) == (38, 3)
    assert minutes[NOW - 2].admitted is None  # no sample the minute before
    assert minutes[NOW - 5].waiting == 70
    assert minutes[NOW - 4].waiting is None  # no instance sampled
