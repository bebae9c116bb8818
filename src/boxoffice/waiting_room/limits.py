"""Abuse limits on the waiting room: per account, per IP, and poll pacing."""

from __future__ import annotations

import math
from typing import Literal

from boxoffice.platform.errors import RateLimited
from boxoffice.platform.rate_limit import Limit
from boxoffice.settings import Settings
from boxoffice.waiting_room import metrics as room_metrics
from boxoffice.waiting_room.store import PollGuard


def _limits(
    settings: Settings, kind: Literal["join", "status"], user_id: int, client_ip: str
) -> tuple[Limit, ...]:
    per_account = (
        settings.join_limit_per_account if kind == "join" else settings.status_limit_per_account
    )
    limits = []
    if per_account:
        limits.append(Limit.per_minute(f"{kind}:user:{user_id}", per_account))
    # One counter per address for joins and polls alike, each on its own line's counters (a
    # join or a poll is one atomic step of that line's room, so on a Redis Cluster its counters
    # must share the line's hash slot).
    if settings.queue_limit_per_ip:
        limits.append(Limit.per_minute(f"ip:{client_ip}", settings.queue_limit_per_ip))
    return tuple(limits)


def rate_limited(kind: Literal["join", "status"], wait: float) -> RateLimited:
    """The error for a request refused by a limit, with Retry-After in whole seconds; counted."""
    room_metrics.RATE_LIMITED.labels(kind).inc()
    retry_after = max(1, math.ceil(wait))
    return RateLimited(
        f"Too many requests: wait {retry_after} s. Your place in line is kept.",
        retry_after=retry_after,
    )


def join_limits(settings: Settings, user_id: int, client_ip: str) -> tuple[Limit, ...]:
    """The limits a join counts on, in the join's own step of its line's store."""
    return _limits(settings, "join", user_id, client_ip)


def poll_guard(settings: Settings, user_id: int, client_ip: str) -> PollGuard:
    """What a status poll is checked against in the store, and how its fan is paced."""
    paced = settings.poll_pace_ratio > 0
    return PollGuard(
        limits=_limits(settings, "status", user_id, client_ip),
        pace_key=f"pace:{user_id}" if paced else None,
        pace_ratio=settings.poll_pace_ratio,
    )
