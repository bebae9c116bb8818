"""The queue pass a [pass] endpoint requires (signed, the caller's own, ACTIVE, and for the line
that covers the endpoint's concert), and what the waiting room's routes need."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from boxoffice.accounts.dependencies import CurrentUserId
from boxoffice.platform.clock import Clock
from boxoffice.platform.provided import provided
from boxoffice.platform.rate_limit import RateLimiter
from boxoffice.platform.security import TokenSigner
from boxoffice.settings import Settings
from boxoffice.waiting_room.passes import LinePass
from boxoffice.waiting_room.service import WaitingRoom

QueueTokenHeader = Annotated[
    str | None,
    Header(alias="X-Queue-Token", description="Queue pass from POST /api/v1/queue/tokens"),
]


@dataclass(frozen=True)
class PassGate:
    """Lets a caller with an ACTIVE pass through, or answers why not."""

    waiting_room: WaitingRoom
    clock: Clock

    async def active(self, user_id: int, token: str | None) -> ShopPass:
        now = self.clock.now().timestamp()
        granted = await self.waiting_room.require_active(user_id, token, now)
        return ShopPass(granted, self.waiting_room)


@dataclass(frozen=True, slots=True)
class ShopPass:
    """An ACTIVE pass as a [pass] route gets it; the route then asks whether it opens the
    concert the request is about (a pass for another line: QueueTokenForbidden)."""

    granted: LinePass
    waiting_room: WaitingRoom

    async def opens_concert(self, concert_id: int) -> None:
        async def concert() -> int:
            return concert_id

        await self.waiting_room.require_covers(self.granted, concert)

    async def opens(self, concert_of: Callable[[], Awaitable[int | None]]) -> None:
        """`concert_of()`, asked only while some concert has a line of its own, names the
        request's concert (None: nothing, and the route answers 404)."""
        await self.waiting_room.require_covers(self.granted, concert_of)


pass_gate = provided(PassGate)


async def active_pass(
    gate: Annotated[PassGate, Depends(pass_gate)],
    user_id: CurrentUserId,
    token: QueueTokenHeader = None,
) -> ShopPass:
    return await gate.active(user_id, token)


ActivePass = Annotated[ShopPass, Depends(active_pass)]


@dataclass(frozen=True)
class QueueDeps:
    """What the waiting room's routes and event streams need."""

    waiting_room: WaitingRoom
    signer: TokenSigner
    limiter: RateLimiter
    settings: Settings
    clock: Clock

    def now_ts(self) -> float:
        return self.clock.now().timestamp()


queue_deps = provided(QueueDeps)
Queue = Annotated[QueueDeps, Depends(queue_deps)]
