"""A lane for status polls, so that the line's polling never crowds out the shop.

Under a rush most requests are waiting fans' status polls and few are the shop's (dates, seat
maps, holds, payments), yet only the shop's sell tickets. In an event loop every request in
flight takes turns, so a hold's time is the work of everything in flight beside it, and on a
shared machine a process busy with polls takes cores from one busy with holds. Here a status
poll waits for a place in its process before it is worked on: one of `poll_concurrency` while
no shop request is in flight here, one of the fewer `poll_concurrency_shop_busy` while one is.
So the line polls at full speed while the shop is quiet (before the sale opens, say), and once
it is busy a hold or a payment shares the loop with a few polls instead of dozens. Polls wait
in the order they came.

A fan in line loses nothing by it: polls are self-paced (each answer says when to come back, in
seconds), so slower answers only mean fewer polls, and the line's order is the store's, not the
order polls are answered in. Joins and leaves are not capped (they come once per fan, and a
join spends most of its time waiting on the store, which a small cap would leave idle), nor is
the event stream (it lives for minutes).
"""

from __future__ import annotations

import asyncio
from collections import deque

from starlette.types import ASGIApp, Receive, Scope, Send

STATUS_PATH = "/api/v1/queue/status"
# The shop: what an active pass opens (dates, seat maps, holds) and payments, with the reads
# that share their paths.
SHOP_PATHS = (
    "/api/v1/concerts/",
    "/api/v1/schedules/",
    "/api/v1/reservations",
    "/api/v1/payments",
)


class PollLaneMiddleware:
    """Caps the status polls worked on at once in this process, more tightly while the shop is
    busy here; a `poll_concurrency` of 0 leaves them uncapped."""

    def __init__(
        self, app: ASGIApp, poll_concurrency: int, poll_concurrency_shop_busy: int
    ) -> None:
        self.app = app
        self._places = poll_concurrency
        self._shop_busy_places = max(1, min(poll_concurrency_shop_busy, poll_concurrency))
        self._polls = 0  # polls worked on now (a waiter handed a place counts)
        self._shop = 0  # shop requests in flight now
        self._waiting: deque[asyncio.Future[None]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == STATUS_PATH and self._places > 0:
            await self._take_place()
            try:
                await self.app(scope, receive, send)
            finally:
                self._polls -= 1
                self._hand_over()
        elif path.startswith(SHOP_PATHS):
            self._shop += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self._shop -= 1
                if not self._shop:
                    self._hand_over()
        else:
            await self.app(scope, receive, send)

    def _room(self) -> bool:
        return self._polls < (self._shop_busy_places if self._shop else self._places)

    async def _take_place(self) -> None:
        if not self._waiting and self._room():
            self._polls += 1
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            await turn  # a place is counted for this poll when its turn is set
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed a place as it was cancelled
                self._polls -= 1
                self._hand_over()
            elif turn in self._waiting:
                self._waiting.remove(turn)
            raise

    def _hand_over(self) -> None:
        """Give the places free now to the polls waiting longest."""
        while self._waiting and self._room():
            turn = self._waiting.popleft()
            if not turn.done():  # one cancelled is still in line until its task runs
                self._polls += 1
                turn.set_result(None)
