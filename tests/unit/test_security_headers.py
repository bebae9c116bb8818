"""The security headers middleware: every answer gets each header once, a route's own kept."""

from __future__ import annotations

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from boxoffice.platform.security_headers import SECURITY_HEADERS, SecurityHeadersMiddleware


def _app(headers: list[tuple[bytes, bytes]]) -> SecurityHeadersMiddleware:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    return SecurityHeadersMiddleware(app)


async def _headers(app: SecurityHeadersMiddleware) -> list[tuple[str, str]]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/")
    return [(name.lower(), value) for name, value in response.headers.multi_items()]


async def test_an_answer_with_none_of_them_gets_each_once() -> None:
    got = await _headers(_app([(b"content-type", b"text/plain")]))

    for name, value in SECURITY_HEADERS:
        assert got.count((name.decode(), value.decode())) == 1
    assert ("content-type", "text/plain") in got


@pytest.mark.parametrize("own_name", [b"x-frame-options", b"X-Frame-Options"])
async def test_a_header_the_route_sent_itself_is_kept_and_the_others_added(
    own_name: bytes,
) -> None:
    got = await _headers(_app([(own_name, b"SAMEORIGIN")]))

    assert [value for name, value in got if name == "x-frame-options"] == ["SAMEORIGIN"]
    for name, value in SECURITY_HEADERS:
        if name != b"x-frame-options":
            assert got.count((name.decode(), value.decode())) == 1
