"""Each route's error answers in the OpenAPI document, declared once beside the route.

A route names the problems it can answer (`responses=problem_responses(ConcertNotFound, ...)`):
domain errors by their class, the rest (validation, size limits, a dependency down) by the
`Problem`s in `platform.problems`. Each status is documented as `application/problem+json` with
the one ProblemDetails schema, its `code` narrowed to the codes that status may carry on that
route, and the codes named in its description, so a generated client knows them all.

Every route can also answer 431 (headers too large, checked before any route) and 503 (the
request's deadline, a dependency down): those two are added to every route's list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boxoffice.platform.errors import DomainError
from boxoffice.platform.problems import (
    BAD_REQUEST,
    HEADERS_TOO_LARGE,
    PAYLOAD_TOO_LARGE,
    PROBLEM_MEDIA_TYPE,
    REQUEST_TIMEOUT,
    SERVICE_UNAVAILABLE,
    VALIDATION_ERROR,
    Problem,
)

__all__ = ["PROBLEM_DETAILS_SCHEMA", "READS_BODY", "problem_responses"]

# What a route that reads a body can answer about it: too large (before the route runs), not
# readable, or not valid.
READS_BODY = (PAYLOAD_TOO_LARGE, BAD_REQUEST, VALIDATION_ERROR, REQUEST_TIMEOUT)

_FIELD_ERROR = {
    "type": "object",
    "required": ["field", "location", "message", "type"],
    "properties": {
        "field": {"type": "string", "description": "The offending field, dotted"},
        "location": {"type": "string", "description": "body, query, header, path or cookie"},
        "message": {"type": "string"},
        "type": {"type": "string", "description": "The kind of error, e.g. missing"},
    },
}

# Inline in every error response (FastAPI puts a `responses` model under the route's own media
# type, application/json, so the schema cannot be a component without a hook in the app).
PROBLEM_DETAILS_SCHEMA: dict[str, Any] = {
    "title": "ProblemDetails",
    "description": "An RFC 9457 problem document; `code` is the stable machine code.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What happened and what to do, for people"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": _FIELD_ERROR,
            "description": "With VALIDATION_ERROR: each offending field",
        },
    },
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}
# Answered before any route runs (platform/request_size.py), whatever the route: a body past
# the limit is refused by its declared length on routes that read none too.
_EVERY_ROUTE = (PAYLOAD_TOO_LARGE, HEADERS_TOO_LARGE, SERVICE_UNAVAILABLE)


def _problem(error: type[DomainError] | Problem) -> Problem:
    if isinstance(error, Problem):
        return error
    return Problem(error.status, error.code, error.title, error.members)


def _response(status: int, problems: Iterable[Problem]) -> dict[str, Any]:
    by_code = {p.code: p for p in problems}
    codes = sorted(by_code)
    # The members each code adds (none of them required: which comes depends on the code).
    members = {name: schema for p in by_code.values() for name, schema in p.members.items()}
    properties = {"code": {"enum": codes}, **members}
    schema = {"allOf": [PROBLEM_DETAILS_SCHEMA, {"properties": properties}]}
    response: dict[str, Any] = {
        "description": "; ".join(f"`{code}`: {by_code[code].title}" for code in codes),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
    }
    if status in (429, 503):
        response["headers"] = _RETRY_AFTER
    return response


def problem_responses(*errors: type[DomainError] | Problem) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses=` for the problems a route can answer, plus those every route can."""
    by_status: dict[int, list[Problem]] = {}
    for problem in map(_problem, (*errors, *_EVERY_ROUTE)):
        by_status.setdefault(problem.status, []).append(problem)
    return {status: _response(status, by_status[status]) for status in sorted(by_status)}
