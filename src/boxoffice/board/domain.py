"""The board's minutes, put together from the room's samples and the sales counted by minute."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from boxoffice.waiting_room.domain import SAMPLE_SECONDS, RoomSample

# Minutes the board shows, the current one (still running) last.
BOARD_MINUTES = 30
HOUSE_LINE_NAME = "House line"


@dataclass(frozen=True, slots=True)
class BoardMinute:
    """One minute of a line's sale. A figure of the line is None for a minute with no sample
    of the room (no instance was running); sales figures are counts, 0 when there were none."""

    minute: int  # Unix minute: its start is minute * 60
    waiting: int | None  # at the minute's last sample
    active: int | None
    admitted: int | None  # admitted during the minute (from one minute's samples to the next)
    holds: int
    tickets_sold: int
    revenue: int
    holds_expired: int


@dataclass(frozen=True, slots=True)
class LineBoard:
    """One line's minutes on the board: the house line's (`concert_id` None) or a concert's."""

    concert_id: int | None
    name: str
    minutes: list[BoardMinute]


def board_minutes(
    now_minute: int,
    samples: Mapping[int, RoomSample],
    holds: Mapping[int, int],
    sales: Mapping[int, tuple[int, int]],
    lapsed: Mapping[int, int],
) -> list[BoardMinute]:
    """The last BOARD_MINUTES minutes up to `now_minute`, oldest first. `samples` by time slot
    (SAMPLE_SECONDS each); `holds` and `lapsed` counted by minute, `sales` (tickets, money)."""
    last_sample: dict[int, RoomSample] = {}  # by minute: the minute's latest sample
    for slot in sorted(samples):
        last_sample[slot * SAMPLE_SECONDS // 60] = samples[slot]
    minutes = []
    for minute in range(now_minute - BOARD_MINUTES + 1, now_minute + 1):
        sample, before = last_sample.get(minute), last_sample.get(minute - 1)
        admitted = None
        if sample is not None and before is not None:
            admitted = max(0, sample.admitted_total - before.admitted_total)
        tickets, money = sales.get(minute, (0, 0))
        minutes.append(
            BoardMinute(
                minute=minute,
                waiting=None if sample is None else sample.waiting,
                active=None if sample is None else sample.active,
                admitted=admitted,
                holds=holds.get(minute, 0),
                tickets_sold=tickets,
                revenue=money,
                holds_expired=lapsed.get(minute, 0),
            )
        )
    return minutes
