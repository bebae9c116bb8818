"""Reservation routes: hold seats (with an active pass), list, read and cancel."""

from __future__ import annotations

from fastapi import APIRouter

from boxoffice.accounts.dependencies import CurrentUserId
from boxoffice.platform import metrics
from boxoffice.platform.dependencies import ContainerDep, parse_id
from boxoffice.reservations import service
from boxoffice.reservations.exceptions import ReservationNotFound, SeatUnavailable
from boxoffice.reservations.schemas import HoldRequest, ReservationOut
from boxoffice.waiting_room.dependencies import ActivePass

router = APIRouter(tags=["reservations"])


@router.post("/reservations", status_code=201, response_model=ReservationOut)
async def hold_seats(
    body: HoldRequest, user_id: CurrentUserId, container: ContainerDep, _pass: ActivePass
) -> ReservationOut:
    """Hold all the named seats or none, for a few minutes."""
    try:
        # On PostgreSQL the hold is one all-or-nothing function call: no transaction around it.
        async with container.uow(autocommit=True) as uow:
            reservation = await service.hold_seats(
                uow,
                container.hold_rules,
                user_id,
                body.schedule_id,
                body.seat_numbers,
                container.clock.now(),
            )
            await uow.commit()
    except SeatUnavailable:
        metrics.HOLD_CONFLICTS.inc()
        raise
    container.seats_changed(reservation.schedule_id)
    metrics.HOLDS_CREATED.inc()
    return ReservationOut.of(reservation)


@router.get("/reservations", response_model=list[ReservationOut])
async def list_reservations(
    user_id: CurrentUserId, container: ContainerDep
) -> list[ReservationOut]:
    """The caller's reservations, newest first."""
    async with container.uow(readonly=True) as uow:
        reservations = await service.list_reservations(uow, user_id, container.clock.now())
    return [ReservationOut.of(r) for r in reservations]


@router.get("/reservations/{reservation_id}", response_model=ReservationOut)
async def get_reservation(
    reservation_id: str, user_id: CurrentUserId, container: ContainerDep
) -> ReservationOut:
    """One of the caller's reservations."""
    found = parse_id(reservation_id, ReservationNotFound, "reservation")
    async with container.uow(readonly=True) as uow:
        reservation = await service.get_reservation(uow, user_id, found, container.clock.now())
    return ReservationOut.of(reservation)


@router.post("/reservations/{reservation_id}/cancel", response_model=ReservationOut)
async def cancel_reservation(
    reservation_id: str, user_id: CurrentUserId, container: ContainerDep
) -> ReservationOut:
    """Cancel a hold (seats freed) or a booking (seats freed, money refunded)."""
    found = parse_id(reservation_id, ReservationNotFound, "reservation")
    async with container.uow() as uow:
        reservation = await service.cancel_reservation(
            uow, container.hold_rules, user_id, found, container.clock.now()
        )
        await uow.commit()
    container.seats_changed(reservation.schedule_id)
    return ReservationOut.of(reservation)
