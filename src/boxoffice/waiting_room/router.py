"""Waiting-room routes for fans, and the admission policy for the admin."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Body, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from boxoffice.accounts.dependencies import CurrentUserId, bearer_token
from boxoffice.platform.dependencies import AdminAccess, client_ip, parse_id
from boxoffice.platform.draining import Draining
from boxoffice.platform.errors import (
    ADMIN_ERRORS,
    Busy,
    ConcertNotFound,
    RateLimited,
    Unauthenticated,
)
from boxoffice.platform.http import JSON
from boxoffice.platform.lean_route import api_router
from boxoffice.platform.openapi import READS_BODY, problem_responses
from boxoffice.platform.problems import VALIDATION_ERROR
from boxoffice.waiting_room import limits, stream_access
from boxoffice.waiting_room import metrics as room_metrics
from boxoffice.waiting_room.dependencies import Queue, QueueDeps, QueueTokenHeader
from boxoffice.waiting_room.domain import QueuePolicy, RoomStats
from boxoffice.waiting_room.lines import HOUSE, Line, line_label
from boxoffice.waiting_room.openapi import PASS_ERRORS
from boxoffice.waiting_room.passes import QueueStatus
from boxoffice.waiting_room.schemas import (
    JoinRequest,
    PolicyOut,
    PolicyUpdate,
    QueueStatusOut,
    RoomOut,
)
from boxoffice.waiting_room.stream import status_events
from boxoffice.waiting_room.stream_access import StreamTicketOut
from boxoffice.waiting_room.stream_slots import StreamSlots

router = api_router(tags=["waiting room"])
admin_router = api_router(tags=["admin"], dependencies=[AdminAccess])


def _status_json(status: QueueStatus) -> bytes:
    # Hot path (every poll): the dataclass straight to JSON; QueueStatusOut documents it.
    return orjson.dumps(status, option=orjson.OPT_UTC_Z)


@router.post(
    "/queue/tokens",
    status_code=201,
    response_model=QueueStatusOut,
    responses={
        200: {"model": QueueStatusOut, "description": "The caller's existing live pass"},
        **problem_responses(Unauthenticated, ConcertNotFound, RateLimited, *READS_BODY),
    },
)
async def join_queue(
    user_id: CurrentUserId,
    deps: Queue,
    request: Request,
    body: Annotated[JoinRequest | None, Body()] = None,
) -> Response:
    """Join a line (with `concert_id`, the line that concert is in: its own, or the house
    line); joining again returns the live pass of that line with its place kept. A fan may
    stand in several lines at once, with one pass for each."""
    line = await deps.waiting_room.line_to_join(None if body is None else body.concert_id)
    join_limits = limits.join_limits(deps.settings, user_id, client_ip(request))
    status, created = await deps.waiting_room.join(user_id, deps.now_ts(), line, join_limits)
    if created:
        room_metrics.JOINED.labels(line_label(line)).inc()
    return Response(_status_json(status), 201 if created else 200, media_type=JSON)


@router.get(
    "/queue/status",
    response_model=QueueStatusOut,
    responses=problem_responses(Unauthenticated, *PASS_ERRORS, RateLimited, VALIDATION_ERROR, Busy),
)
async def queue_status(
    user_id: CurrentUserId,
    deps: Queue,
    request: Request,
    token: QueueTokenHeader = None,
) -> Response:
    """The pass's place in line and estimated wait, or its active window.

    Polling sooner than `poll_after_seconds` allows is answered 429 without touching the line.
    """
    guard = limits.poll_guard(deps.settings, user_id, client_ip(request))
    status = await deps.waiting_room.poll(user_id, token, deps.now_ts(), guard)
    return Response(_status_json(status), media_type=JSON)


@router.post(
    "/queue/stream-tickets",
    status_code=201,
    response_model=StreamTicketOut,
    # PASS_ERRORS as on the other routes that take a pass, though a ticket reads only its
    # signature: the stream it opens answers for the pass's state.
    responses=problem_responses(Unauthenticated, *PASS_ERRORS, RateLimited, VALIDATION_ERROR),
)
async def open_stream_ticket(
    user_id: CurrentUserId, deps: Queue, token: QueueTokenHeader = None
) -> StreamTicketOut:
    """A ticket, good for a few seconds, to open this pass's event stream from a browser
    (an EventSource sends no headers, and a URL is no place for the access token)."""
    return await stream_access.issue_ticket(deps, user_id, token)


@router.get(
    "/queue/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        **problem_responses(Unauthenticated, *PASS_ERRORS, VALIDATION_ERROR, Busy),
    },
)
async def queue_stream(
    deps: Queue,
    request: Request,
    token: Annotated[
        str | None, Query(description="The queue pass (EventSource sends no headers)")
    ] = None,
    ticket: Annotated[
        str | None, Query(description="A stream ticket from POST /queue/stream-tickets")
    ] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_queue_token: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamingResponse:
    """Server-sent events: a `status` event whenever the pass changes, heartbeats between.

    A browser opens it with `token` (the pass) and `ticket`; other clients may send the
    `Authorization` and `X-Queue-Token` headers instead. A pass holds `STREAM_MAX_PER_PASS`
    open streams per instance (an account `STREAM_MAX_PER_ACCOUNT`): past that the oldest ends
    with a `replaced` event.
    """
    pass_token = token or x_queue_token
    user_id = stream_access.stream_user(deps, ticket, bearer_token(authorization), pass_token)
    first = await deps.waiting_room.status(user_id, pass_token, deps.now_ts())
    assert pass_token is not None
    draining: Draining = request.app.state.draining
    slots: StreamSlots = request.app.state.stream_slots
    disconnected = request.is_disconnected
    events = status_events(
        deps, user_id, pass_token, first, disconnected, _status_event, draining, slots
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _status_event(status: QueueStatus) -> str:
    return _status_json(status).decode()


@router.delete(
    "/queue/tokens/current",
    status_code=204,
    responses=problem_responses(Unauthenticated, *PASS_ERRORS, VALIDATION_ERROR, Busy),
)
async def leave_queue(
    user_id: CurrentUserId, deps: Queue, token: QueueTokenHeader = None
) -> Response:
    """Give up the place in line or the active slot."""
    await deps.waiting_room.leave(user_id, token, deps.now_ts())
    return Response(status_code=204)


def _room_out(
    policy: QueuePolicy, stats: RoomStats, line: Line = HOUSE, closing: bool = False
) -> RoomOut:
    opens_at = None if policy.opens_at is None else datetime.fromtimestamp(policy.opens_at, UTC)
    return RoomOut(
        concert_id=line,
        closing=closing,
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


@admin_router.get(
    "/admin/queue",
    response_model=RoomOut,
    responses=problem_responses(*ADMIN_ERRORS, VALIDATION_ERROR),
)
async def get_room(deps: Queue) -> RoomOut:
    """The house line's admission policy with its live figures."""
    return _room_out(*await deps.waiting_room.policy_with_stats(HOUSE, deps.now_ts()))


@admin_router.put(
    "/admin/queue",
    response_model=RoomOut,
    responses=problem_responses(*ADMIN_ERRORS, *READS_BODY),
)
async def update_room(body: PolicyUpdate, deps: Queue) -> RoomOut:
    """Change any part of the house line's admission policy; every instance applies it at
    once."""
    await deps.waiting_room.update_policy(HOUSE, _changes(body))
    return _room_out(*await deps.waiting_room.policy_with_stats(HOUSE, deps.now_ts()))


def _changes(body: PolicyUpdate) -> dict[str, Any]:
    """The policy fields sent, as the store keeps them."""
    changes = body.model_dump(exclude_unset=True)
    if "opens_at" in changes:
        opens_at = changes["opens_at"]
        changes["opens_at"] = None if opens_at is None else _aware(opens_at).timestamp()
    return {k: v for k, v in changes.items() if v is not None or k == "opens_at"}


async def _line_out(deps: QueueDeps, concert_id: int) -> RoomOut:
    line = await deps.waiting_room.covering_line(concert_id)
    closing = line is not None and line in (await deps.waiting_room.lines.current()).closing
    policy, stats = await deps.waiting_room.policy_with_stats(line, deps.now_ts())
    return _room_out(policy, stats, line, closing)


@admin_router.get(
    "/admin/concerts/{concert_id}/queue",
    response_model=RoomOut,
    responses=problem_responses(*ADMIN_ERRORS, ConcertNotFound, VALIDATION_ERROR),
)
async def get_concert_line(concert_id: str, deps: Queue) -> RoomOut:
    """The line that covers a concert (its own, or the house line: then `concert_id` is
    null), with its policy and live figures."""
    return await _line_out(deps, parse_id(concert_id, ConcertNotFound, "concert"))


@admin_router.put(
    "/admin/concerts/{concert_id}/queue",
    response_model=RoomOut,
    responses=problem_responses(*ADMIN_ERRORS, ConcertNotFound, *READS_BODY, Busy),
)
async def put_concert_line(concert_id: str, body: PolicyUpdate, deps: Queue) -> RoomOut:
    """Give a concert a line of its own, or change its line's policy. The first PUT starts
    from the house line's policy for the fields not sent; from then on only this line's passes
    open the concert's dates, seat maps, holds and payments."""
    concert = parse_id(concert_id, ConcertNotFound, "concert")
    await deps.waiting_room.open_line(concert, _changes(body), deps.now_ts())
    return await _line_out(deps, concert)


@admin_router.delete(
    "/admin/concerts/{concert_id}/queue",
    status_code=204,
    responses=problem_responses(*ADMIN_ERRORS, ConcertNotFound, VALIDATION_ERROR, Busy),
)
async def delete_concert_line(concert_id: str, deps: Queue) -> Response:
    """Give a concert's own line up: no one joins it from now on, and the concert goes back
    to the house line once its line is empty (its fans keep their places and passes until
    then)."""
    concert = parse_id(concert_id, ConcertNotFound, "concert")
    await deps.waiting_room.close_line(concert, deps.now_ts())
    return Response(status_code=204)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
