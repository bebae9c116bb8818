"""Reading the board: the sales from the SQL database, each line from its waiting-room store."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from boxoffice.board.domain import (
    BOARD_MINUTES,
    HOUSE_LINE_NAME,
    BoardMinute,
    LineBoard,
    board_minutes,
)
from boxoffice.waiting_room.domain import SAMPLE_SECONDS
from boxoffice.waiting_room.lines import LineSet, LineStores
from boxoffice.waiting_room.store import WaitingRoomStore

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWork


async def read_board(
    uow: UnitOfWork, stores: LineStores, lines: LineSet, now: float
) -> list[LineBoard]:
    """Every line's last BOARD_MINUTES minutes, the current one last: the house line first
    (the sale of every concert without a line of its own), then each concert's own line (its
    concert's sale). A concert's sale is counted in the line that covers it now. One set of
    queries a line: its concert's title, its samples, its holds, sales and holds run out."""
    board = []
    for line in lines.lines():
        if line is None:  # the house line
            name, only, excluding = HOUSE_LINE_NAME, None, lines.own
        else:
            concert = await uow.catalog.concert(line)
            name = concert.title if concert is not None else f"Concert {line}"
            only, excluding = (line,), frozenset()
        minutes = await read_line(uow, stores.of(line), now, only=only, excluding=excluding)
        board.append(LineBoard(line, name, minutes))
    return board


async def read_line(
    uow: UnitOfWork,
    store: WaitingRoomStore,
    now: float,
    *,
    only: Collection[int] | None = None,
    excluding: Collection[int] = (),
) -> list[BoardMinute]:
    """One line's last BOARD_MINUTES minutes, the current one last: the samples of its `store`,
    the sale of the concerts `only` names (every one if None) but those of `excluding`."""
    now_minute = int(now // 60)
    first = now_minute - BOARD_MINUTES  # the minute before the first shown, for differences
    since = datetime.fromtimestamp(first * 60, UTC)
    samples = await store.samples_since(first * 60 // SAMPLE_SECONDS)
    holds = await uow.reservations.holds_by_minute(since, only=only, excluding=excluding)
    sales = await uow.payments.sales_by_minute(since, only=only, excluding=excluding)
    lapsed = await uow.reservations.lapsed_by_minute(
        since, datetime.fromtimestamp(now, UTC), only=only, excluding=excluding
    )
    return board_minutes(now_minute, samples, holds, sales, lapsed)


async def sample_line(store: WaitingRoomStore, now: float) -> None:
    """Keep the line's figures of now for the board (the first instance to come in a slot)."""
    await store.sample(int(now // SAMPLE_SECONDS), now)
