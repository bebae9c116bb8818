"""Waiting-room rules with no I/O: policy, pass views, admission arithmetic and estimates."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

ADMISSION_WINDOW_SECONDS = 60.0


class PassStatus(StrEnum):
    WAITING = "WAITING"
    ACTIVE = "ACTIVE"


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """How many fans may shop at once, how fast they are let in, and for how long."""

    max_active: int
    admit_per_minute: int
    active_ttl_seconds: int
    claim_seconds: int
    opens_at: float | None = None

    @property
    def burst(self) -> int:
        """Admissions allowed at once on top of the steady rate: five seconds' worth, at least 1."""
        return max(1, self.admit_per_minute // 12)

    @property
    def rate_per_second(self) -> float:
        return self.admit_per_minute / 60.0


@dataclass(frozen=True, slots=True)
class PassView:
    """A live pass as the store sees it now."""

    pass_id: str
    user_id: int
    status: PassStatus
    joined_at: float
    position: int | None = None
    active_until: float | None = None
    opens_at: float | None = None
    recent_admissions: int = 0


@dataclass(frozen=True, slots=True)
class RoomStats:
    waiting: int
    active: int
    admitted_last_minute: int
    admitted_total: int
    expired_total: int
    abandoned_total: int
    prequeue: int = 0


def refill_tokens(tokens: float, last_refill: float, now: float, policy: QueuePolicy) -> float:
    """The token bucket that caps admissions at the policy's rate plus its burst."""
    elapsed = max(0.0, now - last_refill)
    return min(float(policy.burst), tokens + elapsed * policy.rate_per_second)


def admissible(free_slots: int, tokens: float, waiting: int) -> int:
    """How many fans to admit now: no more than free slots, tokens or fans waiting."""
    return max(0, min(free_slots, math.floor(tokens), waiting))


def estimate_wait_seconds(position: int, admitted_last_minute: int, policy: QueuePolicy) -> int:
    """Seconds until a fan at `position` is admitted, from the rate measured over the last minute.

    With no admission in the last minute (the sale just opened) the configured rate stands in.
    """
    measured = admitted_last_minute / ADMISSION_WINDOW_SECONDS
    rate = measured if measured > 0 else policy.rate_per_second
    return math.ceil(position / rate) if rate > 0 else 0


def poll_after_seconds(status: PassStatus, estimated_wait: int) -> int:
    """Fans far back poll rarely; those about to be admitted poll every second."""
    if status is PassStatus.ACTIVE:
        return 30
    return max(1, min(30, estimated_wait // 10))
