"""The served OpenAPI document lists every error a route can answer, as problem+json.

Contract v1.1: "Every error status a route can answer appears in /openapi.json as
application/problem+json." Generated clients learn the error codes from it: each error status
carries the shared ProblemDetails schema with `code` narrowed to the codes named for it.
tests/fuzz checks the other direction on a served instance: no answer outside the document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from boxoffice.platform.errors import DomainError, NotFound
from boxoffice.platform.openapi import PROBLEM_DETAILS_SCHEMA
from boxoffice.platform.problems import PROBLEM_MEDIA_TYPE
from tests.conftest import API, Shop

# From ../shared/api-contract.md: the codes the contract names for each route.
CONTRACT_CODES: dict[str, set[str]] = {
    f"POST {API}/users": {"USERNAME_TAKEN", "RATE_LIMITED", "PAYLOAD_TOO_LARGE"},
    f"POST {API}/auth/token": {"BAD_CREDENTIALS", "RATE_LIMITED", "PAYLOAD_TOO_LARGE"},
    f"POST {API}/queue/tokens": {"UNAUTHENTICATED", "RATE_LIMITED"},
    f"GET {API}/queue/status": {"QUEUE_TOKEN_EXPIRED", "RATE_LIMITED"},
    f"GET {API}/concerts/{{concert_id}}/schedules": {"CONCERT_NOT_FOUND"},
    f"GET {API}/schedules/{{schedule_id}}/seats": {"SCHEDULE_NOT_FOUND"},
    f"POST {API}/reservations": {
        "SEAT_UNAVAILABLE",
        "SCHEDULE_NOT_FOUND",
        "SEAT_NOT_FOUND",
        "HOLD_LIMIT_EXCEEDED",
        "SCHEDULE_CLOSED",
    },
    f"GET {API}/reservations/{{reservation_id}}": {"RESERVATION_NOT_FOUND"},
    f"POST {API}/reservations/{{reservation_id}}/cancel": {"RESERVATION_NOT_FOUND"},
    f"POST {API}/wallet/charges": {
        "VALIDATION_ERROR",
        "BALANCE_LIMIT_EXCEEDED",
        "IDEMPOTENCY_KEY_REUSED",
    },
    f"POST {API}/payments": {
        "HOLD_EXPIRED",
        "RESERVATION_NOT_PAYABLE",
        "INSUFFICIENT_BALANCE",
        "IDEMPOTENCY_KEY_REUSED",
        "QUEUE_TOKEN_EXPIRED",
    },
    "GET /readyz": {"NOT_READY"},
}
# The [pass] routes: an ACTIVE pass of the caller's own.
ACTIVE_PASS = {
    "QUEUE_TOKEN_INVALID",
    "QUEUE_TOKEN_NOT_ACTIVE",
    "QUEUE_TOKEN_EXPIRED",
    "QUEUE_TOKEN_FORBIDDEN",
}
PASS_ROUTES = {
    f"GET {API}/concerts/{{concert_id}}/schedules",
    f"GET {API}/schedules/{{schedule_id}}/seats",
    f"POST {API}/reservations",
    f"POST {API}/payments",
}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def _codes(response: dict[str, Any]) -> list[str]:
    schema = response["content"][PROBLEM_MEDIA_TYPE]["schema"]
    return list(schema["allOf"][1]["properties"]["code"]["enum"])


def _declared(operation: dict[str, Any]) -> dict[str, int]:
    """Each code the operation lists, with its status."""
    return {
        code: int(status)
        for status, response in operation["responses"].items()
        if int(status) >= 400
        for code in _codes(response)
    }


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


async def test_every_error_is_problem_json_with_the_shared_schema(
    document: dict[str, Any],
) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for name, operation in _operations(document):
        errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
        assert errors, name
        for status, response in errors.items():
            assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (name, status)
            schema = response["content"][PROBLEM_MEDIA_TYPE]["schema"]
            assert schema["allOf"][0] == PROBLEM_DETAILS_SCHEMA, (name, status)
            codes = _codes(response)
            assert codes, (name, status)
            for code in codes:
                assert f"`{code}`" in response["description"], (name, status, code)
            if int(status) in (429, 503):
                assert "Retry-After" in response["headers"], (name, status)


async def test_each_route_lists_the_errors_it_can_answer(document: dict[str, Any]) -> None:
    for name, operation in _operations(document):
        declared = _declared(operation)
        expected = {"PAYLOAD_TOO_LARGE", "HEADERS_TOO_LARGE", "SERVICE_UNAVAILABLE"}
        parameters = operation.get("parameters", [])
        if "requestBody" in operation:
            expected |= {"BAD_REQUEST", "VALIDATION_ERROR", "REQUEST_TIMEOUT"}
        if parameters:
            expected.add("VALIDATION_ERROR")
        if {"HTTPBearer": []} in operation.get("security", []):
            expected.add("UNAUTHENTICATED")
        if "admin" in operation.get("tags", []):
            expected |= {"ADMIN_UNAUTHORIZED", "RATE_LIMITED"}
        if any(p["name"] == "X-Queue-Token" for p in parameters):
            expected |= {"QUEUE_TOKEN_INVALID", "QUEUE_TOKEN_EXPIRED", "QUEUE_TOKEN_FORBIDDEN"}
        if name in PASS_ROUTES:
            expected |= ACTIVE_PASS
        expected |= CONTRACT_CODES.get(name, set())
        assert expected <= set(declared), (name, expected - set(declared))
        if any(p["in"] == "path" for p in parameters):
            assert any(c.endswith("_NOT_FOUND") and s == 404 for c, s in declared.items()), name


async def test_a_body_past_the_limit_is_answered_as_documented_on_every_route(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    """The size limit refuses a body by its declared length before any route runs, on routes
    that read none too: their documents left the 413 out."""
    for name, _ in _operations(document):
        method, path = name.split(" ", 1)
        response = await client.request(
            method, path.replace("{", "").replace("}", ""), content=b"x" * (64 * 1024 + 1)
        )

        assert response.status_code == 413, (name, response.status_code)
        assert "PAYLOAD_TOO_LARGE" in _codes(
            document["paths"][path][method.lower()]["responses"]["413"]
        ), name


async def test_the_admin_routes_document_the_admin_key_they_need(
    document: dict[str, Any],
) -> None:
    """The X-Admin-Key header was in no part of the document: a generated client, or the
    document's own "Authorize", could not call an admin route."""
    scheme = document["components"]["securitySchemes"]["AdminKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-Admin-Key")
    admin = [(n, o) for n, o in _operations(document) if "admin" in o.get("tags", [])]
    assert len(admin) >= 8
    for name, operation in admin:
        assert operation.get("security") == [{"AdminKey": []}], name
    for name, operation in _operations(document):
        if "admin" not in operation.get("tags", []):
            assert {"AdminKey": []} not in operation.get("security", []), name


# Every problem document has these (PROBLEM_DETAILS_SCHEMA); `errors` with VALIDATION_ERROR.
_STANDARD_MEMBERS = {"type", "title", "status", "detail", "code", "errors"}


async def test_the_members_a_problem_adds_are_in_its_routes_document(
    shop: Shop, document: dict[str, Any]
) -> None:
    """The contract names SEAT_UNAVAILABLE's `seats`; it and the other members some problems add
    (limits, what a fan holds, what a payment costs) were in no schema of the document."""
    date = await shop.date_on_sale(seat_count=10, price=1_000)
    fan, rival = await shop.admitted_fan(), await shop.admitted_fan()
    held = await shop.hold(fan, date["id"], [1, 2, 3])
    hold = f"{API}/reservations"
    answers = {
        "SEAT_UNAVAILABLE": ("POST", hold, await shop.post_hold(rival, date["id"], [1])),
        "SEAT_NOT_FOUND": ("POST", hold, await shop.post_hold(rival, date["id"], [11])),
        "SECTION_NOT_FOUND": (
            "POST",
            hold,
            await shop.client.post(
                hold,
                json={"schedule_id": date["id"], "quantity": 1, "section": "Nowhere"},
                headers=rival.with_pass,
            ),
        ),
        "HOLD_LIMIT_EXCEEDED": ("POST", hold, await shop.post_hold(fan, date["id"], [4, 5])),
        "INSUFFICIENT_BALANCE": (
            "POST",
            f"{API}/payments",
            await shop.post_payment(fan, held["id"]),
        ),
        "PAYLOAD_TOO_LARGE": (
            "GET",
            f"{API}/wallet",
            await shop.client.request("GET", f"{API}/wallet", content=b"x" * (64 * 1024 + 1)),
        ),
    }

    for code, (method, path, response) in answers.items():
        body = response.json()
        assert body["code"] == code, response.text
        added = set(body) - _STANDARD_MEMBERS
        assert added, (code, body)  # each of these adds some
        declared = document["paths"][path][method.lower()]["responses"][str(response.status_code)]
        schema = declared["content"][PROBLEM_MEDIA_TYPE]["schema"]["allOf"][1]["properties"]
        assert added <= set(schema), (code, added - set(schema))


def _domain_errors(kind: type[DomainError] = DomainError) -> Iterator[type[DomainError]]:
    for subclass in kind.__subclasses__():
        yield subclass
        yield from _domain_errors(subclass)


async def test_every_domain_error_is_listed_where_it_can_be_answered(
    document: dict[str, Any],
) -> None:
    """Each error the problem handlers map (platform/problems.py) is declared by a route, with
    its own status; a new error no route declares fails here."""
    listed: dict[str, set[int]] = {}
    for _, operation in _operations(document):
        for code, status in _declared(operation).items():
            listed.setdefault(code, set()).add(status)
    for error in _domain_errors():
        if error.__module__.startswith("tests.") or error is NotFound:
            continue  # NotFound: a generic base that nothing raises (each resource has its own)
        assert error.status in listed.get(error.code, set()), (error.__name__, error.code)
