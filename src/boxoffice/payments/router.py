"""Payment routes: pay a hold (with an active pass, idempotent) and list payments."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response

from boxoffice.accounts.dependencies import CurrentUserId
from boxoffice.catalog.domain import SeatStatus
from boxoffice.payments import service
from boxoffice.payments.dependencies import Payments, PaymentsDeps
from boxoffice.payments.domain import Payment
from boxoffice.payments.exceptions import HoldExpired, ReservationNotPayable
from boxoffice.payments.schemas import PaymentOut, PaymentRequest
from boxoffice.payments.settling import Sold
from boxoffice.platform import metrics
from boxoffice.platform.cancellation import finished_even_if_cut
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
from boxoffice.platform.idempotency import Idempotency, StoredResponse, request_fingerprint
from boxoffice.platform.lean_route import api_router
from boxoffice.platform.openapi import READS_BODY, problem_responses
from boxoffice.platform.problems import VALIDATION_ERROR
from boxoffice.reservations.exceptions import ReservationNotFound
from boxoffice.waiting_room.dependencies import QueueTokenHeader
from boxoffice.waiting_room.openapi import ACTIVE_PASS_ERRORS
from boxoffice.waiting_room.passes import LinePass
from boxoffice.wallet.exceptions import InsufficientBalance

router = api_router(tags=["payments"])
_log = structlog.get_logger(__name__)


@router.post(
    "/payments",
    status_code=201,
    response_model=PaymentOut,
    responses=problem_responses(
        Unauthenticated,
        *ACTIVE_PASS_ERRORS,
        ReservationNotFound,
        HoldExpired,
        ReservationNotPayable,
        InsufficientBalance,
        IdempotencyKeyReused,
        *READS_BODY,
        Busy,
    ),
)
async def pay(
    body: PaymentRequest,
    user_id: CurrentUserId,
    deps: Payments,
    token: QueueTokenHeader = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Pay a held reservation from the wallet; the queue pass is used up on success."""
    now = deps.clock.now()
    fingerprint = request_fingerprint("POST", "/payments", body.model_dump())

    async def concert_of_reservation() -> int | None:
        async with deps.uow(readonly=True) as uow:
            schedule = await uow.reservations.schedule_of(body.reservation_id, user_id)
        return None if schedule is None else await deps.listings.concert_of(schedule, deps.uow)

    try:
        active = await deps.waiting_room.require_active(user_id, token, now.timestamp())
        # Only the pass of the line covering the reservation's concert pays for it (and is
        # used up by it).
        await deps.waiting_room.require_covers(active, concert_of_reservation)
    except ACTIVE_PASS_ERRORS:
        # A retry of a payment that went through gets its first answer whatever pass it comes
        # with: the one it used up, the fan's pass of another line, a new one still waiting
        # (the fan joined again after the answer was lost), or none.
        earlier = await _earlier_result(deps, user_id, idempotency_key, fingerprint)
        if earlier is None:
            raise
        return replay(earlier)

    async def settle() -> StoredResponse:
        # On PostgreSQL the payment is one statement (bx_settle), so it needs no transaction.
        async with deps.uow(autocommit=True) as uow:
            result, sold = await service.pay(
                uow,
                user_id,
                body.reservation_id,
                now,
                Idempotency(idempotency_key, fingerprint),
                _answer,
            )
            await uow.commit()
        await _after_payment(deps, active, now.timestamp(), sold)
        return result

    # A payment cut off by the request's deadline may still commit (its batch was sent, or its
    # commit): what follows a commit then follows it all the same.
    return replay(await finished_even_if_cut(settle()))


def _answer(payment: Payment) -> StoredResponse:
    return stored_json(201, PaymentOut.of(payment))


async def _earlier_result(
    deps: PaymentsDeps, user_id: int, key: str | None, fingerprint: str
) -> StoredResponse | None:
    if key is None:
        return None
    async with deps.uow(readonly=True) as uow:
        return await uow.idempotency.stored(user_id, key, fingerprint)


async def _after_payment(
    deps: PaymentsDeps, line_pass: LinePass, now: float, sold: Sold | None
) -> None:
    """Not facts, so after commit: show the sale in listings and metrics, use up the pass, let
    the next fan in. Nothing on a replay: the pass that paid was used up then (or, if that
    failed, lapses by its TTL), and the pass a retry comes with may be a newer one, for the
    fan's next purchase."""
    if sold is None:
        return
    deps.listings.seats_changed(sold.schedule_id, sold.seat_numbers, SeatStatus.SOLD)
    metrics.TICKETS_SOLD.inc(len(sold.seat_numbers))
    metrics.MONEY_PAID.inc(sold.amount)
    try:
        await deps.waiting_room.use_up(line_pass, now)  # wakes the admission loop
    except Exception as error:  # noqa: BLE001 - the payment stands; the pass then lapses by TTL
        _log.warning("pass_use_up_failed", error=repr(error))


@router.get(
    "/payments",
    response_model=list[PaymentOut],
    responses={
        200: {"headers": NEXT_PAGE_HEADER},
        **problem_responses(Unauthenticated, VALIDATION_ERROR, Busy),
    },
)
async def list_payments(
    user_id: CurrentUserId,
    deps: Payments,
    request: Request,
    limit: PageSize = 100,
    before_id: BeforeId = None,
) -> Response:
    """The caller's payments, newest first; page with `before_id` (a full page links to the
    next in `Link`)."""
    async with deps.uow(readonly=True) as uow:
        payments = await service.list_payments(uow, user_id, limit, before_id)
    return page(request, [PaymentOut.of(p) for p in payments], [p.id for p in payments], limit)
