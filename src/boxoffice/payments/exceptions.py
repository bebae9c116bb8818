"""Payment errors with the contract's codes."""

from __future__ import annotations

from boxoffice.platform.errors import DomainError


class HoldExpired(DomainError):
    code = "HOLD_EXPIRED"
    status = 409
    title = "Hold expired"


class ReservationNotPayable(DomainError):
    code = "RESERVATION_NOT_PAYABLE"
    status = 409
    title = "Reservation cannot be paid"
