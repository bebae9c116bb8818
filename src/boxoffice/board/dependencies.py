"""What the board's route needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from boxoffice.platform.clock import Clock
from boxoffice.platform.provided import provided
from boxoffice.waiting_room.lines import Lines, LineStores

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class BoardDeps:
    uow: UnitOfWorkFactory
    stores: LineStores  # each line's waiting-room store
    lines: Lines  # which concerts have a line of their own
    clock: Clock
    currency: str


board_deps = provided(BoardDeps)
Board = Annotated[BoardDeps, Depends(board_deps)]
