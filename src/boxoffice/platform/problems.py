"""The one place that turns errors into RFC 9457 problem documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.platform.database import cannot_serve, sqlstate
from boxoffice.platform.errors import DomainError, Members, problem_members
from boxoffice.platform.metrics import DEPENDENCY_FAULTS
from boxoffice.platform.security_headers import SECURITY_HEADERS

PROBLEM_MEDIA_TYPE = "application/problem+json"
_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Problem:
    """A problem answered outside the domain errors (which carry the same on the class)."""

    status: int
    code: str
    title: str
    # The members its document adds, by their JSON schema (DomainError.members).
    members: Members = field(default_factory=problem_members)

    def answer(self, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> Response:
        """This problem as a problem+json response."""
        return problem_response(self.status, self.code, self.title, detail, headers, **extra)


VALIDATION_ERROR = Problem(422, "VALIDATION_ERROR", "Invalid request")
# A body that cannot be read at all (not UTF-8; a form that does not parse), from FastAPI.
BAD_REQUEST = Problem(400, "BAD_REQUEST", "The body could not be read")
# Answered by the request-size limits (platform/request_size.py) before any route runs.
_LIMIT = problem_members(limit={"type": "integer", "description": "The limit, in bytes"})
PAYLOAD_TOO_LARGE = Problem(413, "PAYLOAD_TOO_LARGE", "Request body too large", _LIMIT)
HEADERS_TOO_LARGE = Problem(431, "HEADERS_TOO_LARGE", "Request headers too large", _LIMIT)
# A body still coming when the request's deadline passed (platform/deadline.py).
REQUEST_TIMEOUT = Problem(408, "REQUEST_TIMEOUT", "Request not received in time")
# Something broke on our side (an error no handler knows; a stored answer that cannot be sent).
INTERNAL_ERROR = Problem(500, "INTERNAL_ERROR", "Internal error")
# The database or Redis down, or the request's deadline passed (platform/deadline.py).
SERVICE_UNAVAILABLE = Problem(503, "SERVICE_UNAVAILABLE", "Service unavailable")
NOT_READY = Problem(
    503,
    "NOT_READY",
    "Not ready",
    problem_members(
        checks={
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Each dependency's state: ok, or what went wrong",
        }
    ),
)

# The framework's own errors, each one problem (one title a code: what varies is the detail).
_HTTP_PROBLEMS = {
    problem.status: problem
    for problem in (
        BAD_REQUEST,
        Problem(401, "UNAUTHENTICATED", "Not authenticated"),
        Problem(404, "NOT_FOUND", "Not found"),
        Problem(405, "METHOD_NOT_ALLOWED", "Method not allowed"),
        PAYLOAD_TOO_LARGE,  # a body past the limit, found while a route read it
        Problem(415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"),
    )
}


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response with the stable machine `code`."""
    body = {
        "type": f"https://boxoffice.example/problems/{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


async def _domain_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem_response(
        exc.status, exc.code, exc.title, exc.detail, headers=exc.headers, **exc.extra
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "field": "body"
            if err.get("type") == "json_invalid"
            else ".".join(str(part) for part in err.get("loc", ()) if part != "body") or "body",
            "location": str(err.get("loc", ("body",))[0]),
            "message": str(err.get("msg", "invalid")),
            "type": str(err.get("type", "value_error")),
        }
        for err in exc.errors()
    ]


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem_response(
        VALIDATION_ERROR.status,
        VALIDATION_ERROR.code,
        VALIDATION_ERROR.title,
        f"Fix these fields and send again: {fields}.",
        errors=errors,
    )


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    problem = _HTTP_PROBLEMS.get(status) or Problem(
        status, f"HTTP_{status}", HTTPStatus(status).phrase
    )
    # An error raised with a problem's extra members carries them (request_size._BodyTooLarge).
    extra: dict[str, Any] = getattr(exc, "problem_extra", {})
    return problem.answer(
        str(exc.detail) if exc.detail else problem.title,
        headers=dict(exc.headers or {}),
        **extra,
    )


def _dependency_of(exc: Exception) -> str:
    if isinstance(exc, RedisError):
        return "redis"
    dialect = getattr(getattr(exc, "orig", None), "__module__", "") or ""
    return "sqlite" if "sqlite" in dialect else "postgresql"


_REPLAYED = "boxoffice.replayed"
_SAFE_METHODS = frozenset({"GET", "HEAD"})


class _ServeAgain(Response):
    """Serves the request once more through the router, on the pool's next connection."""

    def __init__(self, router: ASGIApp) -> None:
        super().__init__()
        self._router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_REPLAYED] = True
        await self._router(scope, receive, send)


def _replayable(request: Request, exc: Exception) -> bool:
    """A read that failed only because its pooled connection was dead may simply run again.

    After a database restart or failover, a connection can die between its checkout (which
    replaces the ones already known dead, platform/database.py) and its first statement. The
    request changed nothing (it is a GET), so it is served again at once, once: the pool has
    dropped every connection older than the fault, and the fan never sees it was there.
    """
    dead_connection = isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, InterfaceError)
    )
    return dead_connection and request.method in _SAFE_METHODS and not request.scope.get(_REPLAYED)


async def _backend_unavailable(request: Request, exc: Exception) -> Response:
    dependency = _dependency_of(exc)
    if _replayable(request, exc):
        DEPENDENCY_FAULTS.labels(dependency, "retried").inc()
        return _ServeAgain(request.scope["router"])
    _log.warning("backend_unavailable", path=request.url.path, error=repr(exc))
    DEPENDENCY_FAULTS.labels(dependency, "unavailable").inc()
    return SERVICE_UNAVAILABLE.answer(
        "A backing service did not answer; nothing was changed. Retry shortly.",
        headers={"Retry-After": "1"},
    )


# A character PostgreSQL cannot store (a NUL; one the database's encoding lacks): the request's.
_UNSTORABLE_SQLSTATES = frozenset({"22021", "22P05"})
UNSTORABLE = Problem(400, BAD_REQUEST.code, "A value cannot be stored")


async def _database_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    if cannot_serve(exc):
        return await _backend_unavailable(request, exc)
    if sqlstate(exc) in _UNSTORABLE_SQLSTATES:
        return UNSTORABLE.answer(
            "The request holds a character that cannot be stored (a NUL, say); nothing was "
            "changed. Send it without."
        )
    return await _unexpected_error(request, exc)


# Starlette answers an unexpected error outside the app's middleware: with its own headers.
_SECURITY_HEADERS = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    _log.exception("unhandled_error", path=request.url.path, error=repr(exc))
    return INTERNAL_ERROR.answer("Something went wrong on our side; try again.", _SECURITY_HEADERS)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the mapping from every error to problem+json."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # The database or Redis down or out of connections: retryable, and nothing was written.
    app.add_exception_handler(RedisError, _backend_unavailable)
    app.add_exception_handler(OperationalError, _backend_unavailable)
    app.add_exception_handler(InterfaceError, _backend_unavailable)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(SQLAlchemyTimeoutError, _backend_unavailable)
    # The driver's own connect and command timeouts, and a refused connection, come unwrapped.
    app.add_exception_handler(OSError, _backend_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
