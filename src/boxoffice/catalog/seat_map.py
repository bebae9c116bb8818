"""A date's seat map as the JSON the API answers: its fixed part encoded once, states each time.

A seat's id, number, section and price never change after its date is created; only its state
does. So each process encodes a date's seats once, up to the state, and a map is then those
pieces joined with each seat's state: a pass of list slicing and one `bytes.join`, where
building and serializing every seat cost 17-22 ms of CPU a 5,000-seat map, again after each
burst of holds (scripts/profiling/seat_map_render.py).
The bytes are the same as `orjson.dumps` of the `Seat` list (a test holds the two together).

A map read from the database is then kept current by the writes this process makes
(`SeatMap.change`): the map is joined from blocks of seats, each hashed and compressed on its
own, so a hold shows in the next read at the cost of one block, not of the whole map.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence

import orjson

from boxoffice.catalog.domain import FreeSection, SeatStatus
from boxoffice.platform.http import Piece, PiecedBody

# What closes a seat's object after its prefix, by state: `..."status":"<STATE>"}`.
_SUFFIXES = {status: status.value.encode() + b'"}' for status in SeatStatus}
_AVAILABLE = _SUFFIXES[SeatStatus.AVAILABLE]


# Seats per block of a map: a change re-renders, hashes and compresses its block only (~0.1 ms
# for 256 seats, against ~2 ms for a whole 5,000-seat map; compressed apart, the blocks of
# such a map take ~32 KB against ~27 KB in one stream).
BLOCK_SEATS = 256


class SeatLayout:
    """One date's seats, encoded up to their state; a map (`SeatMap`) adds the states."""

    __slots__ = ("_block_seats", "_positions", "_prefixes", "_sections")

    def __init__(
        self, seats: Sequence[tuple[int, int, str, int]], block_seats: int = BLOCK_SEATS
    ) -> None:
        """`seats`: (id, number, section, price) of every seat of the date, by number."""
        self._block_seats = block_seats
        self._positions = {number: i for i, (_, number, _, _) in enumerate(seats)}
        # Each section's dearest price and its seats' numbers, in the order sections first come.
        self._sections: dict[str, tuple[int, list[int]]] = {}
        for _, number, section, price in seats:
            dearest, numbers = self._sections.get(section, (price, []))
            numbers.append(number)
            self._sections[section] = (max(dearest, price), numbers)
        prefixes: list[bytes] = []
        for i, (seat_id, number, section, price) in enumerate(seats):
            # The field order is the `Seat` dataclass's; the state is closed by `states`.
            encoded = orjson.dumps(
                {"id": seat_id, "number": number, "section": section, "price": price, "status": ""}
            )
            prefixes.append((b"," if i else b"") + encoded[: -len(b'"}')])
        self._prefixes = prefixes

    def __len__(self) -> int:
        return len(self._prefixes)

    def position(self, number: int) -> int | None:
        """Where the seat `number` is in the map; None for a number the date does not have."""
        return self._positions.get(number)

    def has_section(self, name: str) -> bool:
        return name in self._sections

    def free_sections(self, taken: Mapping[SeatStatus, Iterable[int]]) -> list[FreeSection]:
        """Each section with its seats that are not `taken` (numbers by state)."""
        unavailable = {number for numbers in taken.values() for number in numbers}
        return [
            FreeSection(name, price, tuple(n for n in numbers if n not in unavailable))
            for name, (price, numbers) in self._sections.items()
        ]

    def block_of(self, position: int) -> int:
        return position // self._block_seats

    def blocks(self) -> range:
        """The map's blocks, by index: one at least, for the empty list."""
        return range(max(1, -(-len(self._prefixes) // self._block_seats)))

    def states(self, taken: Mapping[SeatStatus, Iterable[int]]) -> list[bytes]:
        """Each seat's state as it closes its object: the `taken` seats (numbers by state) in
        their state, the rest available."""
        states = [_AVAILABLE] * len(self._prefixes)
        for status, numbers in taken.items():
            suffix = _SUFFIXES[status]
            for number in numbers:
                position = self._positions.get(number)
                if position is not None:
                    states[position] = suffix
        return states

    def block(self, states: Sequence[bytes], block: int) -> bytes:
        """The bytes of one block of the map, the list's brackets included at its ends."""
        start = block * self._block_seats
        stop = min(start + self._block_seats, len(self._prefixes))
        pieces: list[bytes] = [b""] * (2 * (stop - start))
        pieces[0::2] = self._prefixes[start:stop]
        pieces[1::2] = states[start:stop]
        opening = b"[" if block == 0 else b""
        closing = b"]" if stop == len(self._prefixes) else b""
        return opening + b"".join(pieces) + closing


class SeatMap:
    """One date's map as this process knows it: each seat's state, and the JSON the API answers
    rendered by blocks of seats (`BLOCK_SEATS`), so that a hold, payment or cancel (made here,
    or news of one made elsewhere) is shown by the next read at the cost of its blocks alone:
    `change` notes it, `tagged` renders what changed since the last read."""

    __slots__ = ("_changed", "_layout", "_pieces", "_states", "_tagged", "_written_here")

    def __init__(self, layout: SeatLayout, taken: Mapping[SeatStatus, Iterable[int]]) -> None:
        """The map of `layout` with the `taken` seats (numbers by state), the rest available."""
        self._layout = layout
        self._states = layout.states(taken)
        self._pieces = [Piece.of(layout.block(self._states, b)) for b in layout.blocks()]
        self._changed: set[int] = set()  # blocks to render again before the next read
        self._tagged: PiecedBody | None = None
        self._written_here: set[int] = set()  # seats a write of this process changed

    def change(self, numbers: Iterable[int], status: SeatStatus, *, news: bool) -> None:
        """These seats are now in `status`: a write of this process made them so, or, with
        `news`, one of another process. A write here shows at once, in the order written. News
        comes late and in any order (a fan's cancel on one instance told after another fan's
        hold of the seat here would show that fan's own seat free), so it shows on the seats no
        write here changed since the map was read; the map's next read sets every seat right."""
        if news:
            written = self._written_here
            numbers = [number for number in numbers if number not in written]
        else:
            numbers = list(numbers)
            self._written_here.update(numbers)
        self._set(numbers, status)

    def mark_taken(self, numbers: Iterable[int], *, news: bool) -> None:
        """These seats were found taken, here or (`news`) by another process: shown held where
        this map still shows them free (news, except on seats a write here changed: `change`)."""
        skipped = self._written_here if news else set()
        self._set(
            [n for n in numbers if n not in skipped and self._state(n) == _AVAILABLE],
            SeatStatus.HELD,
        )

    def tagged(self) -> PiecedBody:
        """The map's JSON with its tag and gzip encoding: each block changed since the last
        read rendered once, however many changes it had."""
        if self._changed:
            for block in self._changed:
                self._pieces[block] = Piece.of(self._layout.block(self._states, block))
            self._changed.clear()
            self._tagged = None
        if self._tagged is None:
            self._tagged = PiecedBody(self._pieces)
        return self._tagged

    def _state(self, number: int) -> bytes | None:
        position = self._layout.position(number)
        return None if position is None else self._states[position]

    def _set(self, numbers: Iterable[int], status: SeatStatus) -> None:
        """Set the states, noting the blocks whose bytes changed."""
        suffix, states = _SUFFIXES[status], self._states
        for number in numbers:
            position = self._layout.position(number)
            if position is not None and states[position] != suffix:
                states[position] = suffix
                self._changed.add(self._layout.block_of(position))


class SeatLayouts:
    """The encoded dates of one process, the least recently used dropped past `max_seats`."""

    def __init__(self, max_seats: int) -> None:
        # ~170 bytes a seat (tracemalloc, 5,000 seats): 500,000 seats (the default setting,
        # SEAT_LAYOUTS_KEPT_SEATS) is about 85 MB.
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
