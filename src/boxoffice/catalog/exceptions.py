"""Catalog errors with the contract's codes."""

from __future__ import annotations

from boxoffice.platform.errors import DomainError


class ConcertNotFound(DomainError):
    code = "CONCERT_NOT_FOUND"
    status = 404
    title = "Concert not found"


class ScheduleNotFound(DomainError):
    code = "SCHEDULE_NOT_FOUND"
    status = 404
    title = "Date not found"
