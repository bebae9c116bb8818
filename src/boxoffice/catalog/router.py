"""Catalog routes: the public concert list, dates and seats behind a pass, admin creation."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import Header, Response
from starlette.requests import Request

from boxoffice.catalog import service
from boxoffice.catalog.dependencies import Catalog, CatalogDeps
from boxoffice.catalog.domain import Concert, Schedule
from boxoffice.catalog.exceptions import ConcertNotFound, ScheduleNotFound
from boxoffice.catalog.schemas import (
    ConcertCreate,
    ConcertOut,
    ScheduleCreate,
    ScheduleOut,
    SeatOut,
)
from boxoffice.catalog.seat_map import SeatMap
from boxoffice.platform.dependencies import AdminAccess, parse_id
from boxoffice.platform.errors import ADMIN_ERRORS, Busy, Unauthenticated
from boxoffice.platform.http import tagged_json
from boxoffice.platform.lean_route import api_router
from boxoffice.platform.openapi import READS_BODY, problem_responses
from boxoffice.platform.problems import VALIDATION_ERROR
from boxoffice.waiting_room.dependencies import ActivePass
from boxoffice.waiting_room.openapi import ACTIVE_PASS_ERRORS

router = api_router(tags=["catalog"])
admin_router = api_router(tags=["admin"], dependencies=[AdminAccess])


def _bucket(deps: CatalogDeps) -> int:
    return deps.listings.bucket(deps.clock.now().timestamp())


def _concert_out(concert: Concert) -> ConcertOut:
    return ConcertOut(
        id=concert.id,
        title=concert.title,
        venue=concert.venue,
        description=concert.description,
        created_at=concert.created_at,
    )


def _schedule_out(schedule: Schedule) -> ScheduleOut:
    return ScheduleOut(
        id=schedule.id,
        concert_id=schedule.concert_id,
        starts_at=schedule.starts_at,
        total_seats=schedule.total_seats,
        available_seats=schedule.available_seats,
    )


@router.get("/concerts", response_model=list[ConcertOut], responses=problem_responses(Busy))
async def list_concerts(deps: Catalog) -> list[ConcertOut]:
    """Every concert; no account needed."""
    async with deps.uow(readonly=True) as uow:
        concerts = await service.list_concerts(uow)
    return [_concert_out(c) for c in concerts]


@router.get(
    "/concerts/{concert_id}/schedules",
    response_model=list[ScheduleOut],
    responses=problem_responses(
        Unauthenticated, *ACTIVE_PASS_ERRORS, ConcertNotFound, VALIDATION_ERROR, Busy
    ),
)
async def list_schedules(
    concert_id: str, deps: Catalog, shop_pass: ActivePass, all: bool = False
) -> Response:
    """The reservable dates of a concert (`?all=true` adds sold-out and past ones)."""
    concert = parse_id(concert_id, ConcertNotFound, "concert")
    await shop_pass.opens_concert(concert)

    async def render() -> bytes:
        async with deps.uow(readonly=True) as uow:
            schedules = await service.list_schedules(
                uow, concert, deps.clock.now(), include_closed=all
            )
        return orjson.dumps(schedules, option=orjson.OPT_UTC_Z)

    key = (concert, all)
    body = await deps.listings.schedule_lists.get(key, _bucket(deps), render)
    return Response(body, media_type="application/json")


@router.get(
    "/schedules/{schedule_id}/seats",
    response_model=list[SeatOut],
    responses={
        304: {"description": "Not modified: the map the If-None-Match tag names."},
        **problem_responses(
            Unauthenticated, *ACTIVE_PASS_ERRORS, ScheduleNotFound, VALIDATION_ERROR, Busy
        ),
    },
)
async def list_seats(
    request: Request,
    schedule_id: str,
    deps: Catalog,
    shop_pass: ActivePass,
    if_none_match: Annotated[
        str | None,
        Header(
            alias="If-None-Match",
            description="The ETag of a map already held: 304 if it is still the map.",
        ),
    ] = None,
) -> Response:
    """A date's seats by number, with their state now: a hold, payment, cancel or expiry made
    by this instance shows at once, one made by another within a second. With an ETag: asked
    again with If-None-Match, an unchanged map answers 304 with no body. Gzipped for a client
    that accepts it (Accept-Encoding), with its own tag."""
    schedule = parse_id(schedule_id, ScheduleNotFound, "date")
    await shop_pass.opens(lambda: deps.listings.concert_of(schedule, deps.uow))

    async def read() -> SeatMap:
        async with deps.uow(readonly=True) as uow:
            return await service.seat_map(
                uow, schedule, deps.clock.now(), deps.listings.seat_layouts
            )

    seat_map = await deps.listings.seat_maps.get(schedule, _bucket(deps), read)
    # Hashed (and gzipped) once a change, not once a request.
    return tagged_json(seat_map.tagged(), if_none_match, request.headers.get("accept-encoding"))


@admin_router.post(
    "/admin/concerts",
    status_code=201,
    response_model=ConcertOut,
    responses=problem_responses(*ADMIN_ERRORS, *READS_BODY, Busy),
)
async def create_concert(body: ConcertCreate, deps: Catalog) -> ConcertOut:
    """Add a concert."""
    async with deps.uow() as uow:
        concert = await service.create_concert(
            uow, body.title, body.venue, body.description, deps.clock.now()
        )
        await uow.commit()
    return _concert_out(concert)


@admin_router.post(
    "/admin/concerts/{concert_id}/schedules",
    status_code=201,
    response_model=ScheduleOut,
    responses=problem_responses(*ADMIN_ERRORS, ConcertNotFound, *READS_BODY, Busy),
)
async def add_schedule(concert_id: str, body: ScheduleCreate, deps: Catalog) -> ScheduleOut:
    """Add a date with its seats numbered 1..seat_count."""
    concert = parse_id(concert_id, ConcertNotFound, "concert")
    async with deps.uow() as uow:
        schedule = await service.add_schedule(
            uow, concert, body.starts_at, body.tiers(), deps.clock.now()
        )
        await uow.commit()
    deps.listings.date_added()
    return _schedule_out(schedule)
