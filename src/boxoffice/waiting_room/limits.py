"""Abuse limits on the waiting room: per account, per IP, and poll pacing."""

from __future__ import annotations

import math
from typing import Literal

from boxoffice.platform.errors import RateLimited
from boxoffice.platform.rate_limit import NO_PACE, Limit, RateLimiter
from boxoffice.settings import Settings
from boxoffice.waiting_room import metrics as room_metrics

WINDOW_SECONDS = 60.0


def _pace_key(user_id: int) -> str:
    return f"pace:{user_id}"


async def guard(
    limiter: RateLimiter,
    settings: Settings,
    kind: Literal["join", "status"],
    user_id: int,
    client_ip: str,
    now: float,
) -> None:
    """Raise RateLimited (with Retry-After) if this request is over a limit or polls too soon."""
    per_account = (
        settings.join_limit_per_account if kind == "join" else settings.status_limit_per_account
    )
    limits = []
    if per_account:
        limits.append(Limit(f"{kind}:user:{user_id}", per_account, WINDOW_SECONDS))
    if settings.queue_limit_per_ip:
        limits.append(Limit(f"ip:{client_ip}", settings.queue_limit_per_ip, WINDOW_SECONDS))
    pace_key = _pace_key(user_id) if kind == "status" and settings.poll_pace_ratio else NO_PACE
    if not limits and pace_key == NO_PACE:
        return
    wait = await limiter.check(pace_key, limits, now)
    if wait > 0:
        room_metrics.RATE_LIMITED.labels(kind).inc()
        retry_after = max(1, math.ceil(wait))
        raise RateLimited(
            f"Too many requests: wait {retry_after} s. Your place in line is kept.",
            retry_after=retry_after,
        )


async def pace(
    limiter: RateLimiter, settings: Settings, user_id: int, poll_after: int, now: float
) -> None:
    """Remember when a waiting fan may poll next."""
    if settings.poll_pace_ratio:
        await limiter.pace(_pace_key(user_id), poll_after * settings.poll_pace_ratio, now)
