"""Lines: which line covers each concert, and the waiting-room store of each line.

The house line (v1's one line) covers every concert that has no line of its own. An organizer
gives a concert its own line (`PUT /admin/concerts/{id}/queue`); from then on only that line's
passes open the concert's dates, seat maps, holds and payments, until the organizer gives the
line up and it has emptied. A line is named by its concert's id; `HOUSE` (None) names the house
line. Each line is a room of its own in the waiting-room store, with its own order, policy,
pre-queue, opening and admission; on Redis each room's keys share one hash slot, so lines
spread over a Redis Cluster's nodes.

Which concerts have a line is kept in the SQL database (it outlives the store, and every
instance reads the same answer), read at most once per `fresh_seconds` per process: a line
opened or given up on one instance covers its concert on the others within that time, and at
once on the instance that made the change. A pass is never refused on a stale read: before a
refusal the lines are read again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

from boxoffice.waiting_room.store import WaitingRoomStore

Line = int | None
HOUSE: Final[Line] = None


def line_label(line: Line) -> str:
    """The line as metrics and logs name it: the concert id, or 'house'."""
    return "house" if line is None else str(line)


@dataclass(frozen=True, slots=True)
class LineSet:
    """The concerts with a line of their own, as read at one moment."""

    own: frozenset[int] = frozenset()  # closing ones included: they still cover their concert
    closing_since: Mapping[int, float] = field(default_factory=dict)  # when each began closing

    @property
    def closing(self) -> frozenset[int]:
        """The lines given up, still covering their concert until they end."""
        return frozenset(self.closing_since)

    def may_end(self, concert_id: int, now: float, grace_seconds: float) -> bool:
        """Whether a line closing for `grace_seconds` may end once empty: every instance then
        knows it is closing (they read the lines every `fresh_seconds`, far less), so no join
        through any instance puts a fan in it any more."""
        since = self.closing_since.get(concert_id)
        return since is not None and now - since >= grace_seconds

    def covering(self, concert_id: int) -> Line:
        """The line that covers this concert: its own while it has one (closing or not)."""
        return concert_id if concert_id in self.own else HOUSE

    def opens(self, concert_id: int, line: Line) -> bool:
        """Whether a pass of `line` opens this concert: one of its own line, or of the house
        line where the concert has none, or has one closing (whose late fans, sent to the
        house line, shop beside the closing line's own until it ends)."""
        if concert_id not in self.own:
            return line is HOUSE
        return line == concert_id or (line is HOUSE and concert_id in self.closing_since)

    def joining(self, concert_id: int) -> Line:
        """The line a fan who asks for this concert joins: a closing line takes no one."""
        return (
            concert_id if concert_id in self.own and concert_id not in self.closing_since else HOUSE
        )

    def lines(self) -> tuple[Line, ...]:
        """Every line: the house line first, then the concerts' in order."""
        return (HOUSE, *sorted(self.own))


class LineRecords(Protocol):
    """Where the concerts' own lines are written down (the SQL database)."""

    async def read(self) -> LineSet: ...

    async def open(self, concert_id: int, now: float) -> None:
        """Give the concert its own line (a closing one stays open after all)."""
        ...

    async def close(self, concert_id: int, now: float) -> None:
        """Take no more fans into the concert's line; it ends once empty (`end`)."""
        ...

    async def end(self, concert_id: int) -> None:
        """The closing line is empty: the concert goes back to the house line."""
        ...


class ConcertIndex(Protocol):
    """What the waiting room asks of the catalog: whether a concert exists."""

    async def exists(self, concert_id: int) -> bool: ...


class Lines:
    """The concerts' lines as this process knows them: read from `records` at most once per
    `fresh_seconds`, and again at once after a change made here."""

    def __init__(self, records: LineRecords, fresh_seconds: float) -> None:
        self._records = records
        self._fresh_seconds = fresh_seconds
        self._known = LineSet()
        self._read_at = -float("inf")  # time.monotonic() of the last read
        self._reading = asyncio.Lock()
        self._changes = 0  # changes made here: a read begun before one must not be kept

    @property
    def end_grace_seconds(self) -> float:
        """How long a line must have been closing before it may end once empty: three times
        as long as any process keeps its read of the lines, so by then no instance sends a
        join into it (a join in flight has had two more reads' time to land)."""
        return 3 * self._fresh_seconds

    async def current(self, *, at_once: bool = False) -> LineSet:
        """The lines, read again if the last read is older than `fresh_seconds` (with
        `at_once`, unless a read began after this call: before refusing anyone on them)."""
        asked = time.monotonic()
        if not at_once and asked - self._read_at < self._fresh_seconds:
            return self._known
        async with self._reading:  # one read at a time; those waiting take its answer
            while (
                self._read_at < asked if at_once else asked - self._read_at >= self._fresh_seconds
            ):
                changes, began = self._changes, time.monotonic()
                self._known = await self._records.read()
                # A change made here while the read ran may be missing from it: read again.
                self._read_at = began if changes == self._changes else -float("inf")
        return self._known

    async def open(self, concert_id: int, now: float) -> None:
        await self._records.open(concert_id, now)
        self._changed()

    async def close(self, concert_id: int, now: float) -> None:
        await self._records.close(concert_id, now)
        self._changed()

    async def end(self, concert_id: int) -> None:
        await self._records.end(concert_id)
        self._changed()

    def _changed(self) -> None:
        self._changes += 1
        self._read_at = -float("inf")


class LineStores:
    """The waiting-room store of each line: the house line's, and each concert line's, made
    on first use by `make` (on Redis, over the house store's connections)."""

    def __init__(self, house: WaitingRoomStore, make: Callable[[int], WaitingRoomStore]) -> None:
        self.house = house
        self._make = make
        self._lines: dict[int, WaitingRoomStore] = {}

    def of(self, line: Line) -> WaitingRoomStore:
        if line is None:
            return self.house
        store = self._lines.get(line)
        if store is None:
            store = self._lines[line] = self._make(line)
        return store

    def made(self) -> Iterator[tuple[Line, WaitingRoomStore]]:
        """The house line's store and every concert line's made so far."""
        yield HOUSE, self.house
        yield from list(self._lines.items())

    def forget(self, line: int) -> None:
        """A line that ended: its store is made again, over the same room (bootstrap), should
        the concert get a line again."""
        self._lines.pop(line, None)

    async def close(self) -> None:
        for _, store in list(self.made()):
            await store.close()
