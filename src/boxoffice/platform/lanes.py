"""A lane for status polls, so that the line's polling never crowds out the shop.

Under a rush most requests are waiting fans' status polls and few are the shop's (dates, seat
maps, holds, payments), yet only the shop's sell tickets. In an event loop every request in
flight takes turns, so a hold's time is the work of everything in flight beside it, and on a
shared machine a process busy with polls takes cores from one busy with holds. Here a status
poll waits for one of `poll_concurrency` places in its process before it is worked on, so a
hold or a payment shares the loop with a few polls instead of dozens.

A fan in line loses nothing by it: polls are self-paced (each answer says when to come back, in
seconds), so slower answers only mean fewer polls, and the line's order is the store's, not the
order polls are answered in. Joins and leaves are not capped (they come once per fan, and a
join spends most of its time waiting on the store, which a small cap would leave idle), nor is
the event stream (it lives for minutes).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

STATUS_PATH = "/api/v1/queue/status"


class PollLaneMiddleware:
    """Caps the status polls worked on at once in this process; 0 leaves them uncapped."""

    def __init__(self, app: ASGIApp, poll_concurrency: int) -> None:
        self.app = app
        self._places = asyncio.Semaphore(poll_concurrency) if poll_concurrency > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._places is None or scope["type"] != "http" or scope["path"] != STATUS_PATH:
            await self.app(scope, receive, send)
            return
        async with self._places:
            await self.app(scope, receive, send)
