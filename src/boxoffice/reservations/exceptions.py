"""Reservation errors with the contract's codes."""

from __future__ import annotations

from collections.abc import Sequence

from boxoffice.platform.errors import INTEGER, INTEGERS, DomainError, problem_members


class SeatUnavailable(DomainError):
    code = "SEAT_UNAVAILABLE"
    status = 409
    title = "Seat unavailable"
    members = problem_members(seats=INTEGERS | {"description": "The seat numbers that were taken"})

    def __init__(self, detail: str, seats: Sequence[int]) -> None:
        super().__init__(detail, seats=list(seats))
        self.seats = tuple(seats)  # the numbers that were taken


class SeatNotFound(DomainError):
    code = "SEAT_NOT_FOUND"
    status = 422
    title = "No such seat"
    members = problem_members(
        seat_numbers=INTEGERS | {"description": "The numbers the date has no seat of"}
    )


class SectionNotFound(DomainError):
    code = "SECTION_NOT_FOUND"
    status = 422
    title = "No such section"
    members = problem_members(section={"type": "string"})


class HoldLimitExceeded(DomainError):
    code = "HOLD_LIMIT_EXCEEDED"
    status = 409
    title = "Too many seats held"
    members = problem_members(
        limit=INTEGER | {"description": "Seats a fan may hold at once, or in one reservation"},
        held=INTEGER | {"description": "Seats the fan holds already (the at-once limit)"},
    )


class ScheduleClosed(DomainError):
    code = "SCHEDULE_CLOSED"
    status = 409
    title = "Date not on sale"


class ReservationNotFound(DomainError):
    code = "RESERVATION_NOT_FOUND"
    status = 404
    title = "Reservation not found"


class ReservationNotCancellable(DomainError):
    code = "RESERVATION_NOT_CANCELLABLE"
    status = 409
    title = "Reservation cannot be cancelled"
