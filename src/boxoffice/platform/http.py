"""HTTP helpers shared by routes: idempotency-key header, stored JSON responses, entity tags."""

from __future__ import annotations

import gzip
import hashlib
from typing import Annotated, TypeVar

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


Model = TypeVar("Model", bound=BaseModel)


def stored_json(status_code: int, model: BaseModel) -> StoredResponse:
    """A response body as it is kept for idempotent replays."""
    return StoredResponse(status_code, model.model_dump_json().encode())


def replay(response: StoredResponse) -> Response:
    return Response(response.body, response.status_code, media_type="application/json")


# A listing a fan re-reads (the seat map) is answered with its entity tag; the browser keeps it
# and asks again with If-None-Match (no-cache: always ask, private: only the fan's own cache),
# and an unchanged one costs a 304 with no body instead of the whole map.
REVALIDATE = "private, no-cache"
# Smaller bodies are sent as they are: gzip saves them little.
GZIP_MIN_BYTES = 1024


class TaggedBody:
    """A JSON body with its strong entity tag (a hash of its bytes, the same in every process)
    and, once a client accepts it, its gzip encoding with a tag of its own (RFC 9110: each
    representation has its own strong tag). Both are computed once, however many are sent."""

    __slots__ = ("_gzipped", "body", "etag")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
        self._gzipped: tuple[bytes, str] | None = None

    def gzipped(self) -> tuple[bytes, str]:
        """The gzip encoding (level 1: 364 KB of seat map in ~1.7 ms to ~33 KB) and its tag."""
        if self._gzipped is None:
            encoded = gzip.compress(self.body, compresslevel=1, mtime=0)
            self._gzipped = (encoded, f'{self.etag[:-1]}-gzip"')
        return self._gzipped


def names_etag(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (weak comparison, as RFC 9110 has it)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header takes gzip (named, or `*`, and not with q=0)."""
    for coding in (accept_encoding or "").split(","):
        name, _, parameter = coding.partition(";")
        if name.strip().lower() not in ("gzip", "*"):
            continue
        parameter = parameter.strip().lower()
        if not parameter.startswith("q="):
            return True
        try:
            return float(parameter[2:]) > 0
        except ValueError:
            return False
    return False


def tagged_json(
    tagged: TaggedBody, if_none_match: str | None, accept_encoding: str | None
) -> Response:
    """200 with the body (gzipped if the client takes it and it is worth it), or 304 with none
    when the client already has that representation; both with its tag."""
    headers = {"Cache-Control": REVALIDATE, "Vary": "Accept-Encoding"}
    body, etag = tagged.body, tagged.etag
    if len(body) >= GZIP_MIN_BYTES and accepts_gzip(accept_encoding):
        body, etag = tagged.gzipped()
        headers["Content-Encoding"] = "gzip"
    headers["ETag"] = etag
    if names_etag(if_none_match, etag):
        headers.pop("Content-Encoding", None)  # a 304 has no body to encode
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JSON, headers=headers)
