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
    made, tickets sold, revenue and holds run out (the web client's admin page charts them)."""
    now = deps.clock.now()
    async with deps.uow(readonly=True) as uow:
        minutes = await service.read_board(uow, deps.store, now.timestamp())
    house = LineBoardOut(
        concert_id=None, name="House line", minutes=[BoardMinuteOut.of(m) for m in minutes]
    )
    return BoardOut(generated_at=now, currency=deps.currency, lines=[house])
