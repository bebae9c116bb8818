"""Domain errors carry the contract's stable code; one handler maps them to problem+json."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

INTEGER: dict[str, Any] = {"type": "integer"}
INTEGERS: dict[str, Any] = {"type": "array", "items": INTEGER}
Members = Mapping[str, Mapping[str, Any]]


def problem_members(**schemas: Mapping[str, Any]) -> Members:
    """The members a problem document adds, each by its JSON schema (read only)."""
    return MappingProxyType(schemas)


class DomainError(Exception):
    """A failure the client can act on. Subclasses fix `code`, `status` and `title`."""

    code: ClassVar[str] = "ERROR"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request failed"
    # The members its problem document adds (the `extra` it is raised with), by their JSON
    # schema: the OpenAPI document lists them with the code (platform/openapi.py).
    members: ClassVar[Members] = problem_members()

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404
    title = "Not found"


class ConcertNotFound(DomainError):
    """Raised by the catalog, and by the waiting room for a line of a concert that is not
    (below the catalog, so here)."""

    code = "CONCERT_NOT_FOUND"
    status = 404
    title = "Concert not found"


class Busy(DomainError):
    """No lock in time: the request changed nothing and may be retried."""

    code = "BUSY"
    status = 503
    title = "Busy, try again"

    def __init__(self, detail: str | None = None, retry_after: int = 1) -> None:
        super().__init__(detail or "The service is busy; nothing was changed. Retry shortly.")
        self.headers = {"Retry-After": str(retry_after)}


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str | None = None, retry_after: int = 1) -> None:
        super().__init__(detail or f"Too many requests; retry in {retry_after} s.")
        self.headers = {"Retry-After": str(retry_after)}


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    status = 401
    title = "Not logged in"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "Log in and send the access token as 'Authorization: Bearer'.")
        self.headers = {"WWW-Authenticate": "Bearer"}


class AccountGone(Unauthenticated):
    """A validly signed token whose account the database does not have (deleted, or a database
    started afresh under the same secret key): refused like any bad token."""

    def __init__(self) -> None:
        super().__init__("This account no longer exists. Sign up again, or log in.")


class AdminUnauthorized(DomainError):
    code = "ADMIN_UNAUTHORIZED"
    status = 401
    title = "Admin key missing or wrong"


class MetricsUnauthorized(DomainError):
    code = "METRICS_UNAUTHORIZED"
    status = 401
    title = "Metrics token missing or wrong"

    def __init__(self) -> None:
        super().__init__("Send the metrics token (BOXOFFICE_METRICS_TOKEN) as a Bearer token.")
        self.headers = {"WWW-Authenticate": "Bearer"}


# What an admin route can answer about its key: missing or wrong, or (after too many wrong
# ones) the address locked for the minute.
ADMIN_ERRORS: tuple[type[DomainError], ...] = (AdminUnauthorized, RateLimited)


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    status = 409
    title = "Idempotency key reused with a different request"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail
            or "This Idempotency-Key was already used for a different request. "
            "Use a new key for a new request."
        )
