"""The queue pass a [pass] endpoint requires: signed, the caller's own, and ACTIVE."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from boxoffice.accounts.dependencies import CurrentUserId
from boxoffice.platform.dependencies import ContainerDep
from boxoffice.waiting_room.domain import PassView

QueueTokenHeader = Annotated[
    str | None,
    Header(alias="X-Queue-Token", description="Queue pass from POST /api/v1/queue/tokens"),
]


async def active_pass(
    container: ContainerDep, user_id: CurrentUserId, token: QueueTokenHeader = None
) -> PassView:
    return await container.waiting_room.require_active(user_id, token, container.now_ts())


ActivePass = Annotated[PassView, Depends(active_pass)]
