"""Waiting-room routes for fans, and the admission policy for the admin."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response

from boxoffice.accounts.dependencies import CurrentUserId
from boxoffice.platform import metrics
from boxoffice.platform.dependencies import AdminAccess, ContainerDep
from boxoffice.waiting_room.dependencies import QueueTokenHeader
from boxoffice.waiting_room.domain import QueuePolicy, RoomStats
from boxoffice.waiting_room.schemas import PolicyOut, PolicyUpdate, QueueStatusOut, RoomOut
from boxoffice.waiting_room.service import QueueStatus

router = APIRouter(tags=["waiting room"])
admin_router = APIRouter(tags=["admin"], dependencies=[AdminAccess])


def _status_out(status: QueueStatus) -> QueueStatusOut:
    return QueueStatusOut(
        token=status.token,
        status=status.status,
        position=status.position,
        estimated_wait_seconds=status.estimated_wait_seconds,
        active_until=status.active_until,
        poll_after_seconds=status.poll_after_seconds,
        opens_at=status.opens_at,
    )


@router.post(
    "/queue/tokens",
    status_code=201,
    response_model=QueueStatusOut,
    responses={200: {"model": QueueStatusOut, "description": "The caller's existing live pass"}},
)
async def join_queue(
    user_id: CurrentUserId, container: ContainerDep, response: Response
) -> QueueStatusOut:
    """Join the line; joining again returns the live pass with its place kept."""
    status, created = await container.waiting_room.join(user_id, container.now_ts())
    if created:
        metrics.QUEUE_JOINED.inc()
        container.admission_wakeup.set()
    else:
        response.status_code = 200
    return _status_out(status)


@router.get("/queue/status", response_model=QueueStatusOut)
async def queue_status(
    user_id: CurrentUserId, container: ContainerDep, token: QueueTokenHeader = None
) -> QueueStatusOut:
    """The pass's place in line and estimated wait, or its active window."""
    return _status_out(await container.waiting_room.status(user_id, token, container.now_ts()))


@router.delete("/queue/tokens/current", status_code=204)
async def leave_queue(
    user_id: CurrentUserId, container: ContainerDep, token: QueueTokenHeader = None
) -> Response:
    """Give up the place in line or the active slot."""
    await container.waiting_room.leave(user_id, token, container.now_ts())
    container.admission_wakeup.set()
    return Response(status_code=204)


def _room_out(policy: QueuePolicy, stats: RoomStats) -> RoomOut:
    opens_at = None if policy.opens_at is None else datetime.fromtimestamp(policy.opens_at, UTC)
    return RoomOut(
        policy=PolicyOut(
            max_active=policy.max_active,
            admit_per_minute=policy.admit_per_minute,
            active_ttl_seconds=policy.active_ttl_seconds,
            claim_seconds=policy.claim_seconds,
            opens_at=opens_at,
        ),
        waiting=stats.waiting,
        active=stats.active,
        admitted_last_minute=stats.admitted_last_minute,
        admitted_total=stats.admitted_total,
        expired_total=stats.expired_total,
        abandoned_total=stats.abandoned_total,
        prequeue=stats.prequeue,
    )


@admin_router.get("/admin/queue", response_model=RoomOut)
async def get_room(container: ContainerDep) -> RoomOut:
    """The admission policy with the room's live figures."""
    return _room_out(*await container.waiting_room.policy_with_stats(container.now_ts()))


@admin_router.put("/admin/queue", response_model=RoomOut)
async def update_room(body: PolicyUpdate, container: ContainerDep) -> RoomOut:
    """Change any part of the admission policy; every instance applies it at once."""
    changes = body.model_dump(exclude_unset=True)
    if "opens_at" in changes:
        opens_at = changes["opens_at"]
        changes["opens_at"] = None if opens_at is None else _aware(opens_at).timestamp()
    changes = {k: v for k, v in changes.items() if v is not None or k == "opens_at"}
    await container.waiting_room.update_policy(changes)
    container.admission_wakeup.set()
    return _room_out(*await container.waiting_room.policy_with_stats(container.now_ts()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
