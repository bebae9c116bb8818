"""Reading the board: the sales from the SQL database, the line from the waiting-room store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from boxoffice.board.domain import BOARD_MINUTES, BoardMinute, board_minutes
from boxoffice.waiting_room.domain import SAMPLE_SECONDS
from boxoffice.waiting_room.store import WaitingRoomStore

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWork


async def read_board(uow: UnitOfWork, store: WaitingRoomStore, now: float) -> list[BoardMinute]:
    """The last BOARD_MINUTES minutes of the sale, the current one last."""
    now_minute = int(now // 60)
    first = now_minute - BOARD_MINUTES  # the minute before the first shown, for differences
    since = datetime.fromtimestamp(first * 60, UTC)
    samples = await store.samples_since(first * 60 // SAMPLE_SECONDS)
    holds = await uow.reservations.holds_by_minute(since)
    sales = await uow.payments.sales_by_minute(since)
    lapsed = await uow.reservations.lapsed_by_minute(since, datetime.fromtimestamp(now, UTC))
    return board_minutes(now_minute, samples, holds, sales, lapsed)


async def sample_line(store: WaitingRoomStore, now: float) -> None:
    """Keep the room's figures of now for the board (the first instance to come in a slot)."""
    await store.sample(int(now // SAMPLE_SECONDS), now)
