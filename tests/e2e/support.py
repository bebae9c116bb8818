"""Assertions on what the contract promises every response: problem documents and timestamps."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from boxoffice.app import create_app
from tests.conftest import SettableClock, Shop

if TYPE_CHECKING:
    from boxoffice.settings import Settings

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem with the status and the stable `code`; returns its body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    for field in ("type", "title", "detail"):
        assert isinstance(body[field], str), (field, body)
        assert body[field], (field, body)
    if code == "VALIDATION_ERROR":
        assert isinstance(body["errors"], list), body
        assert body["errors"], body
    return dict(body)


def error_fields(problem: dict[str, Any]) -> set[str]:
    """The fields a VALIDATION_ERROR names, without their location (body, query, header)."""
    return {
        error["field"].removeprefix(f"{error.get('location', 'body')}.")
        for error in problem["errors"]
    }


def utc(value: str) -> datetime:
    """An ISO 8601 timestamp of the API, which must carry a zero UTC offset."""
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() == timedelta(0), value
    return moment


def altered_token(token: str, **claims: Any) -> str:
    """The token with some claims changed and its signature left as it was: a forgery."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = json.dumps({**decoded, **claims}).encode()
    return f"{header}.{base64.urlsafe_b64encode(changed).rstrip(b'=').decode()}.{signature}"


@asynccontextmanager
async def shop_of(settings: Settings, clock: SettableClock, **wiring: Any) -> AsyncIterator[Shop]:
    """A Shop on an app of its own (its settings, its wiring), for a test that needs one
    beside the `shop` fixture's."""
    app = create_app(settings, clock=clock, background=False, **wiring)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Shop(client, app.state.container, clock)
