"""A date's seat map as the JSON the API answers: its fixed part encoded once, states each time.

A seat's id, number, section and price never change after its date is created; only its state
does. So each process encodes a date's seats once, up to the state, and a map is then those
pieces joined with each seat's state: a pass of list slicing and one `bytes.join`, where
building and serializing every seat cost 17-22 ms of CPU a 5,000-seat map, again after each
burst of holds (scripts/profiling/seat_map_render.py).
The bytes are the same as `orjson.dumps` of the `Seat` list (a test holds the two together).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence

import orjson

from boxoffice.catalog.domain import SeatStatus

# What closes a seat's object after its prefix, by state: `..."status":"<STATE>"}`.
_SUFFIXES = {status: status.value.encode() + b'"}' for status in SeatStatus}
_AVAILABLE = _SUFFIXES[SeatStatus.AVAILABLE]


class SeatLayout:
    """One date's seats, encoded up to their state; `render` adds the states."""

    __slots__ = ("_positions", "_prefixes")

    def __init__(self, seats: Sequence[tuple[int, int, str, int]]) -> None:
        """`seats`: (id, number, section, price) of every seat of the date, by number."""
        self._positions = {number: i for i, (_, number, _, _) in enumerate(seats)}
        prefixes: list[bytes] = []
        for i, (seat_id, number, section, price) in enumerate(seats):
            # The field order is the `Seat` dataclass's; the state is written by `render`.
            encoded = orjson.dumps(
                {"id": seat_id, "number": number, "section": section, "price": price, "status": ""}
            )
            prefixes.append((b"," if i else b"") + encoded[: -len(b'"}')])
        self._prefixes = prefixes

    def __len__(self) -> int:
        return len(self._prefixes)

    def render(self, taken: Mapping[SeatStatus, Iterable[int]]) -> bytes:
        """The map with the `taken` seats (numbers by state) in their state, the rest available."""
        states = [_AVAILABLE] * len(self._prefixes)
        positions = self._positions
        for status, numbers in taken.items():
            suffix = _SUFFIXES[status]
            for number in numbers:
                position = positions.get(number)
                if position is not None:
                    states[position] = suffix
        pieces: list[bytes] = [b""] * (2 * len(states))
        pieces[0::2] = self._prefixes
        pieces[1::2] = states
        return b"[" + b"".join(pieces) + b"]"


class SeatLayouts:
    """The encoded dates of one process, the least recently used dropped past `max_seats`."""

    def __init__(self, max_seats: int) -> None:
        # ~170 bytes a seat (tracemalloc, 5,000 seats): 100,000 seats (the default setting,
        # twenty 5,000-seat dates) is about 17 MB.
        self._max_seats = max_seats
        self._layouts: OrderedDict[int, SeatLayout] = OrderedDict()
        self._seats = 0

    def get(self, schedule_id: int) -> SeatLayout | None:
        found = self._layouts.get(schedule_id)
        if found is not None:
            self._layouts.move_to_end(schedule_id)
        return found

    @property
    def seats(self) -> int:
        """The seats of the dates kept."""
        return self._seats

    def put(self, schedule_id: int, layout: SeatLayout) -> SeatLayout:
        previous = self._layouts.pop(schedule_id, None)
        if previous is not None:
            self._seats -= len(previous)
        self._layouts[schedule_id] = layout
        self._seats += len(layout)
        while self._seats > self._max_seats and len(self._layouts) > 1:
            _, dropped = self._layouts.popitem(last=False)
            self._seats -= len(dropped)
        return layout
