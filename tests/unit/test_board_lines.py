"""The board by line (`board.service.read_board`): which line each count is asked for, the
lines' order and names, and one set of queries a line."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boxoffice.board.service import read_board
from boxoffice.waiting_room.domain import SAMPLE_SECONDS, RoomSample
from boxoffice.waiting_room.lines import LineSet, LineStores

NOW = 29_000_000 * 60.0 + 30  # half a minute into Unix minute 29,000,000
MINUTE = 29_000_000


@dataclass
class Concert:
    title: str


@dataclass
class Counts:
    """The catalog, reservations and payments repositories at once: what each was asked."""

    titles: dict[int, str]
    # (what, only, excluding) of each count; ("title", {concert}, {}) of each title
    asked: list[tuple[str, frozenset[int] | None, frozenset[int]]] = field(default_factory=list)

    def _ask(self, what: str, only: Collection[int] | None, excluding: Collection[int]) -> None:
        self.asked.append((what, None if only is None else frozenset(only), frozenset(excluding)))

    async def concert(self, concert_id: int) -> Concert | None:
        self.asked.append(("title", frozenset({concert_id}), frozenset()))
        title = self.titles.get(concert_id)
        return None if title is None else Concert(title)

    async def holds_by_minute(
        self,
        since: datetime,
        *,
        only: Collection[int] | None = None,
        excluding: Collection[int] = (),
    ) -> dict[int, int]:
        self._ask("holds", only, excluding)
        return {MINUTE: 10 if only is None else 1}

    async def lapsed_by_minute(
        self,
        since: datetime,
        now: datetime,
        *,
        only: Collection[int] | None = None,
        excluding: Collection[int] = (),
    ) -> dict[int, int]:
        self._ask("lapsed", only, excluding)
        return {}

    async def sales_by_minute(
        self,
        since: datetime,
        *,
        only: Collection[int] | None = None,
        excluding: Collection[int] = (),
    ) -> dict[int, tuple[int, int]]:
        self._ask("sales", only, excluding)
        return {MINUTE - 1: (2, 5_000)} if only is None else {}


class Uow:
    def __init__(self, counts: Counts) -> None:
        self.catalog = self.reservations = self.payments = counts


def uow(counts: Counts) -> Any:
    """A unit of work whose repositories are `counts`."""
    return Uow(counts)


class Store:
    """A line's store: the one sample it keeps, and how often it was read."""

    def __init__(self, waiting: int) -> None:
        self.sample = RoomSample(waiting=waiting, active=0, admitted_total=0)
        self.reads = 0

    async def samples_since(self, slot: int) -> dict[int, RoomSample]:
        self.reads += 1
        return {int(NOW // SAMPLE_SECONDS): self.sample}


def stores_by_line() -> tuple[LineStores, dict[int | None, Store]]:
    house: Any = Store(waiting=100)
    made: dict[int | None, Store] = {None: house}

    def make(line: int) -> Any:
        made[line] = Store(waiting=line)
        return made[line]

    return LineStores(house, make), made


async def test_the_house_line_counts_all_but_the_concerts_with_a_line_of_their_own() -> None:
    counts = Counts(titles={7: "Stadium", 3: "Matinee"})
    stores, _ = stores_by_line()
    lines = LineSet(own=frozenset({7, 3}), closing_since={3: 0.0})

    board = await read_board(uow(counts), stores, lines, NOW)

    assert [(line.concert_id, line.name) for line in board] == [
        (None, "House line"),
        (3, "Matinee"),  # closing, it still covers its concert
        (7, "Stadium"),
    ]
    assert counts.asked == [
        *[(what, None, frozenset({3, 7})) for what in ("holds", "sales", "lapsed")],
        *[(what, frozenset({3}), frozenset()) for what in ("title", "holds", "sales", "lapsed")],
        *[(what, frozenset({7}), frozenset()) for what in ("title", "holds", "sales", "lapsed")],
    ]
    assert [line.minutes[-1].waiting for line in board] == [100, 3, 7]
    assert [line.minutes[-1].holds for line in board] == [10, 1, 1]
    assert [line.minutes[-2].revenue for line in board] == [5_000, 0, 0]


async def test_one_set_of_queries_a_line() -> None:
    counts = Counts(titles={n: f"Concert #{n}" for n in range(1, 6)})
    stores, made = stores_by_line()

    board = await read_board(uow(counts), stores, LineSet(own=frozenset(range(1, 6))), NOW)

    assert len(board) == 6
    assert len(counts.asked) == 3 + 5 * 4  # the house line's counts; a title and counts a line
    assert {line: store.reads for line, store in made.items()} == {
        n: 1 for n in (None, *range(1, 6))
    }


async def test_a_line_whose_concert_cannot_be_found_is_named_by_its_id() -> None:
    board = await read_board(
        uow(Counts(titles={})), stores_by_line()[0], LineSet(own=frozenset({9})), NOW
    )

    assert [line.name for line in board] == ["House line", "Concert 9"]


async def test_without_lines_of_their_own_the_house_line_counts_everything() -> None:
    counts = Counts(titles={})

    board = await read_board(uow(counts), stores_by_line()[0], LineSet(), NOW)

    assert [line.name for line in board] == ["House line"]
    assert counts.asked == [(what, None, frozenset()) for what in ("holds", "sales", "lapsed")]
