"""HTTP helpers shared by routes: idempotency-key header, stored JSON responses, entity tags."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Header
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
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


Model = TypeVar("Model", bound=BaseModel)


def is_plain_json(content_type: str | None) -> bool:
    """`application/json`, in any case, with or without parameters: a type FastAPI reads as
    JSON. (FastAPI reads more: no type at all, `application/*+json`; hot routes leave those
    to it, see `platform.hot_routes`.)"""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == JSON


async def well_formed_body(request: Request, model: type[Model]) -> Model | None:
    """A hot route's body: plain JSON that validates as `model`, or None for FastAPI's route
    to answer (with its own 422 and field errors)."""
    if not is_plain_json(request.headers.get("content-type")):
        return None
    try:
        return model.model_validate_json(await request.body())
    except ValidationError:
        return None


def stored_json(status_code: int, model: BaseModel) -> StoredResponse:
    """A response body as it is kept for idempotent replays."""
    return StoredResponse(status_code, model.model_dump_json().encode())


def replay(response: StoredResponse) -> Response:
    return Response(response.body, response.status_code, media_type="application/json")


# A listing a fan re-reads (the seat map) is answered with its entity tag; the browser keeps it
# and asks again with If-None-Match (no-cache: always ask, private: only the fan's own cache),
# and an unchanged one costs a 304 with no body instead of the whole map.
REVALIDATE = "private, no-cache"


@dataclass(frozen=True, slots=True)
class TaggedBody:
    """A JSON body with its strong entity tag: a hash of its bytes, the same in every process."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> TaggedBody:
        return cls(body, f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"')


def names_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (weak comparison, as RFC 9110 has it)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def tagged_json(tagged: TaggedBody, if_none_match: str | None) -> Response:
    """200 with the body, or 304 with none when the client already has it; both with the tag."""
    headers = {"ETag": tagged.etag, "Cache-Control": REVALIDATE}
    if names_etag(if_none_match, tagged.etag):
        return Response(status_code=304, headers=headers)
    return Response(tagged.body, media_type=JSON, headers=headers)
