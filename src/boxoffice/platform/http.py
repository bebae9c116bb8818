"""HTTP helpers shared by routes: idempotency-key header, stored JSON responses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header
from pydantic import BaseModel
from starlette.responses import Response

from boxoffice.platform.idempotency import StoredResponse

IDEMPOTENCY_KEY_MAX_LENGTH = 255
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        description="Repeat a money-moving request safely: the first result is returned again.",
    ),
]


JSON = "application/json"


def is_plain_json(content_type: str | None) -> bool:
    """`application/json`, in any case, with or without parameters: a type FastAPI reads as
    JSON. (FastAPI reads more: no type at all, `application/*+json`; hot routes leave those
    to it, see `platform.hot_routes`.)"""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == JSON


def stored_json(status_code: int, model: BaseModel) -> StoredResponse:
    """A response body as it is kept for idempotent replays."""
    return StoredResponse(status_code, model.model_dump_json().encode())


def replay(response: StoredResponse) -> Response:
    return Response(response.body, response.status_code, media_type="application/json")
