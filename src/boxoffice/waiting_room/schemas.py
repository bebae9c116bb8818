"""Waiting-room request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictInt

from boxoffice.platform.limits import MAX_SAFE_INTEGER, ClientTime
from boxoffice.waiting_room.domain import PassStatus


class QueueStatusOut(BaseModel):
    token: str
    status: PassStatus
    position: int | None = Field(description="1-based among those still waiting; null if ACTIVE")
    estimated_wait_seconds: int
    active_until: datetime | None
    poll_after_seconds: int
    opens_at: datetime | None = None
    concert_id: int | None = Field(
        None, description="The concert whose own line the pass is for; null: the house line"
    )


class JoinRequest(BaseModel):
    concert_id: StrictInt | None = Field(
        None,
        ge=1,
        le=MAX_SAFE_INTEGER,
        description="Join this concert's line (the house line if it has none of its own)",
    )


class PolicyOut(BaseModel):
    max_active: int
    admit_per_minute: int
    active_ttl_seconds: int
    claim_seconds: int
    opens_at: datetime | None


class PolicyUpdate(BaseModel):
    max_active: StrictInt | None = Field(None, ge=1, le=1_000_000)
    admit_per_minute: StrictInt | None = Field(None, ge=1, le=10_000_000)
    active_ttl_seconds: StrictInt | None = Field(None, ge=10, le=86_400)
    claim_seconds: StrictInt | None = Field(None, ge=5, le=86_400)
    opens_at: ClientTime | None = None


class RoomOut(BaseModel):
    concert_id: int | None = Field(
        None, description="The concert whose own line this is; null: the house line"
    )
    closing: bool = Field(False, description="Given up: no one joins it, and it ends once empty")
    policy: PolicyOut
    waiting: int
    active: int
    admitted_last_minute: int
    admitted_total: int
    expired_total: int
    abandoned_total: int
    prequeue: int
