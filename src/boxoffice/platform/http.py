"""HTTP helpers shared by routes: idempotency-key header, stored JSON responses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header
from pydantic import BaseModel
from starlette.responses import Response

from boxoffice.platform.idempotency import StoredResponse

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Repeat a money-moving request safely: the first result is returned again.",
    ),
]


def stored_json(status_code: int, model: BaseModel) -> StoredResponse:
    """A response body as it is kept for idempotent replays."""
    return StoredResponse(status_code, model.model_dump_json().encode())


def replay(response: StoredResponse) -> Response:
    return Response(response.body, response.status_code, media_type="application/json")
