"""The API's bearer scheme reads the Authorization header exactly as FastAPI's `HTTPBearer`
reads it (whose name and description the OpenAPI document keeps), handing over the token."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.security import HTTPBearer
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from boxoffice.accounts.dependencies import bearer_scheme

HEADERS = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Bearer abc.def.ghi",
    "bearer abc",
    "BEARER abc",
    "Basic dXNlcjpwYXNz",
    "Bearer  abc",
    "Bearer abc def",
    "Token abc",
    " Bearer abc",
]


def _request(authorization: str | None) -> Request:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


async def _fastapi_reads(authorization: str | None) -> str | None:
    credentials = await HTTPBearer(auto_error=False)(_request(authorization))
    return None if credentials is None else credentials.credentials


@pytest.mark.parametrize("authorization", HEADERS)
async def test_a_header_gives_the_token_httpbearer_finds_in_it(authorization: str | None) -> None:
    assert await bearer_scheme(_request(authorization)) == await _fastapi_reads(authorization)


@given(st.text(alphabet=st.sampled_from("Bbearer RE.xy\t"), max_size=16))
def test_any_header_gives_the_token_httpbearer_finds_in_it(authorization: str) -> None:
    async def both() -> tuple[str | None, str | None]:
        return await bearer_scheme(_request(authorization)), await _fastapi_reads(authorization)

    ours, fastapi = asyncio.run(both())
    assert ours == fastapi


def test_the_scheme_keeps_its_name_and_description_in_the_openapi_document() -> None:
    assert bearer_scheme.scheme_name == "HTTPBearer"
    assert bearer_scheme.model.description == "Access token from POST /api/v1/auth/token"
