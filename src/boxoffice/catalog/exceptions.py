"""Catalog errors with the contract's codes."""

from __future__ import annotations

from boxoffice.platform.errors import ConcertNotFound, DomainError

__all__ = ["ConcertNotFound", "ScheduleNotFound"]


class ScheduleNotFound(DomainError):
    code = "SCHEDULE_NOT_FOUND"
    status = 404
    title = "Date not found"
