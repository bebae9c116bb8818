"""The organizer's live board (admin key)."""

from __future__ import annotations

from boxoffice.board import service
from boxoffice.board.dependencies import Board
from boxoffice.board.schemas import BoardMinuteOut, BoardOut, LineBoardOut
from boxoffice.platform.dependencies import AdminAccess
from boxoffice.platform.errors import ADMIN_ERRORS, Busy
from boxoffice.platform.lean_route import api_router
from boxoffice.platform.openapi import problem_responses
from boxoffice.platform.problems import VALIDATION_ERROR

router = api_router(tags=["admin"], dependencies=[AdminAccess])


@router.get(
    "/admin/board",
    response_model=BoardOut,
    responses=problem_responses(*ADMIN_ERRORS, VALIDATION_ERROR, Busy),
)
async def board(deps: Board) -> BoardOut:
    """Each line's last 30 minutes, minute by minute: fans waiting and shopping, let in, holds
    made, tickets sold, revenue and holds run out (the web client's admin page charts them).
    The house line comes first, with the sale of every concert without a line of its own; then
    each concert with its own line, by concert id, named by its title, with its concert's sale."""
    now = deps.clock.now()
    lines = await deps.lines.current()
    async with deps.uow(readonly=True) as uow:
        board = await service.read_board(uow, deps.stores, lines, now.timestamp())
    return BoardOut(
        generated_at=now,
        currency=deps.currency,
        lines=[
            LineBoardOut(
                concert_id=line.concert_id,
                name=line.name,
                minutes=[BoardMinuteOut.of(m) for m in line.minutes],
            )
            for line in board
        ],
    )
