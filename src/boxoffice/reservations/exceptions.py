"""Reservation errors with the contract's codes."""

from __future__ import annotations

from boxoffice.platform.errors import DomainError


class SeatUnavailable(DomainError):
    code = "SEAT_UNAVAILABLE"
    status = 409
    title = "Seat unavailable"


class SeatNotFound(DomainError):
    code = "SEAT_NOT_FOUND"
    status = 422
    title = "No such seat"


class HoldLimitExceeded(DomainError):
    code = "HOLD_LIMIT_EXCEEDED"
    status = 409
    title = "Too many seats held"


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
