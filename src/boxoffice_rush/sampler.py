"""The room's live figures (waiting, active, admitted) sampled from GET /admin/queue."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from time import perf_counter

from boxoffice_rush import endpoints
from boxoffice_rush.client import HttpClient

__all__ = ["RoomSample", "sample_room"]

INTERVAL_SECONDS = 0.5


@dataclass(frozen=True)
class RoomSample:
    at: float  # seconds since the sale opened
    waiting: int
    active: int
    admitted_total: int


async def sample_room(
    client: HttpClient, admin_key: str, origin: float, samples: list[RoomSample]
) -> None:
    """Append a sample every half second until cancelled; a failed read is skipped."""
    headers = {"X-Admin-Key": admin_key}
    path = f"{endpoints.API}/admin/queue"
    while True:
        started = perf_counter()
        reply = await client.call(endpoints.ROOM, "GET", path, headers=headers, retries=0)
        if reply.status == 200 and isinstance(reply.body, dict):
            body = reply.body
            samples.append(
                RoomSample(
                    at=started - origin,
                    waiting=int(body.get("waiting", 0)),
                    active=int(body.get("active", 0)),
                    admitted_total=int(body.get("admitted_total", 0)),
                )
            )
        await asyncio.sleep(max(0.0, INTERVAL_SECONDS - (perf_counter() - started)))
