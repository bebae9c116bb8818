"""Reservation routes: hold seats (with an active pass), list, read and cancel."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from boxoffice.accounts.dependencies import CurrentUserId
from boxoffice.catalog.domain import SeatStatus
from boxoffice.catalog.exceptions import ScheduleNotFound
from boxoffice.platform import metrics
from boxoffice.platform.dependencies import parse_id
from boxoffice.platform.errors import Busy, IdempotencyKeyReused, Unauthenticated
from boxoffice.platform.http import (
    NEXT_PAGE_HEADER,
    BeforeId,
    IdempotencyKey,
    PageSize,
    page,
    replay,
    stored_json,
)
from boxoffice.platform.idempotency import (
    Idempotency,
    StoredResponse,
    request_fingerprint,
    run_idempotent,
)
from boxoffice.platform.lean_route import api_router
from boxoffice.platform.openapi import READS_BODY, problem_responses
from boxoffice.platform.problems import VALIDATION_ERROR
from boxoffice.reservations import service
from boxoffice.reservations.dependencies import Reservations
from boxoffice.reservations.domain import Reservation
from boxoffice.reservations.exceptions import (
    HoldLimitExceeded,
    ReservationNotCancellable,
    ReservationNotFound,
    ScheduleClosed,
    SeatNotFound,
    SeatUnavailable,
    SectionNotFound,
)
from boxoffice.reservations.schemas import HoldRequest, ReservationOut
from boxoffice.waiting_room.dependencies import ActivePass
from boxoffice.waiting_room.openapi import ACTIVE_PASS_ERRORS
from boxoffice.wallet.exceptions import BalanceLimitExceeded

router = api_router(tags=["reservations"])


@router.post(
    "/reservations",
    status_code=201,
    response_model=ReservationOut,
    responses=problem_responses(
        Unauthenticated,
        *ACTIVE_PASS_ERRORS,
        ScheduleNotFound,
        SeatNotFound,
        SectionNotFound,
        SeatUnavailable,
        HoldLimitExceeded,
        ScheduleClosed,
        *READS_BODY,
        Busy,
    ),
)
async def hold_seats(
    body: HoldRequest, user_id: CurrentUserId, deps: Reservations, shop_pass: ActivePass
) -> ReservationOut:
    """Hold all the named seats or none, for a few minutes; or the best `quantity` free seats
    (in `section` if named; else in the dearest section with room), consecutive where a run
    is free, all or none."""
    await shop_pass.opens(lambda: deps.listings.concert_of(body.schedule_id, deps.uow))
    try:
        if body.seat_numbers is not None:
            # On PostgreSQL the hold is one all-or-nothing function call: no transaction.
            async with deps.uow(autocommit=True) as uow:
                reservation = await service.hold_seats(
                    uow,
                    deps.rules,
                    user_id,
                    body.schedule_id,
                    body.seat_numbers,
                    deps.clock.now(),
                )
                await uow.commit()
        else:
            assert body.quantity is not None  # HoldRequest: one of the two
            # In turn with this process's other best-seat holds of the date (PickTurns).
            async with deps.turns.of(body.schedule_id), deps.uow(autocommit=True) as uow:
                reservation = await service.hold_best_seats(
                    uow,
                    deps.rules,
                    deps.listings.seat_layouts,
                    user_id,
                    body.schedule_id,
                    body.quantity,
                    body.section,
                    deps.clock.now(),
                )
                await uow.commit()
    except SeatUnavailable as refused:
        metrics.HOLD_CONFLICTS.inc()
        deps.listings.seats_found_taken(body.schedule_id, refused.seats)
        raise
    deps.listings.seats_changed(reservation.schedule_id, _numbers(reservation), SeatStatus.HELD)
    metrics.HOLDS_CREATED.inc()
    return ReservationOut.of(reservation)


@router.get(
    "/reservations",
    response_model=list[ReservationOut],
    responses={
        200: {"headers": NEXT_PAGE_HEADER},
        **problem_responses(Unauthenticated, VALIDATION_ERROR, Busy),
    },
)
async def list_reservations(
    user_id: CurrentUserId,
    deps: Reservations,
    request: Request,
    limit: PageSize = 100,
    before_id: BeforeId = None,
) -> Response:
    """The caller's reservations, newest first; page with `before_id` (a full page links to
    the next in `Link`)."""
    async with deps.uow(readonly=True) as uow:
        reservations = await service.list_reservations(
            uow, user_id, deps.clock.now(), limit, before_id
        )
    rows = [ReservationOut.of(r) for r in reservations]
    return page(request, rows, [r.id for r in reservations], limit)


@router.get(
    "/reservations/{reservation_id}",
    response_model=ReservationOut,
    responses=problem_responses(Unauthenticated, ReservationNotFound, VALIDATION_ERROR, Busy),
)
async def get_reservation(
    reservation_id: str, user_id: CurrentUserId, deps: Reservations
) -> ReservationOut:
    """One of the caller's reservations."""
    found = parse_id(reservation_id, ReservationNotFound, "reservation")
    async with deps.uow(readonly=True) as uow:
        reservation = await service.get_reservation(uow, user_id, found, deps.clock.now())
    return ReservationOut.of(reservation)


@router.post(
    "/reservations/{reservation_id}/cancel",
    response_model=ReservationOut,
    responses=problem_responses(
        Unauthenticated,
        ReservationNotFound,
        ReservationNotCancellable,
        BalanceLimitExceeded,
        IdempotencyKeyReused,
        VALIDATION_ERROR,
        Busy,
    ),
)
async def cancel_reservation(
    reservation_id: str,
    user_id: CurrentUserId,
    deps: Reservations,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Cancel a hold (seats freed) or a booking (seats freed, money refunded) until its date
    starts. Repeat with the same Idempotency-Key to retry safely: the first answer again."""
    found = parse_id(reservation_id, ReservationNotFound, "reservation")
    now = deps.clock.now()
    fingerprint = request_fingerprint("POST", f"/reservations/{found}/cancel", None)
    cancelled: list[Reservation] = []

    async def cancel() -> StoredResponse:
        reservation = await service.cancel_reservation(uow, deps.rules, user_id, found, now)
        cancelled.append(reservation)
        return stored_json(200, ReservationOut.of(reservation))

    async with deps.uow() as uow:
        result = await run_idempotent(
            uow.idempotency, user_id, Idempotency(idempotency_key, fingerprint), now, cancel
        )
        await uow.commit()
    for reservation in cancelled:  # none on a replay
        deps.listings.seats_changed(
            reservation.schedule_id, _numbers(reservation), SeatStatus.AVAILABLE
        )
    return replay(result)


def _numbers(reservation: Reservation) -> list[int]:
    return [seat.number for seat in reservation.seats]
