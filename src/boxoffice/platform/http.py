"""HTTP helpers shared by routes: idempotency-key header, stored JSON responses, entity tags."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

import structlog
from fastapi import Header, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from boxoffice.platform.idempotency import StoredResponse
from boxoffice.platform.limits import MAX_SAFE_INTEGER
from boxoffice.platform.problems import INTERNAL_ERROR

_log = structlog.get_logger(__name__)

IDEMPOTENCY_KEY_MAX_LENGTH = 255
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        # No control character but the tab (none is legal in an HTTP field value): PostgreSQL
        # refuses a NUL, which would fail every payment of the key's batch.
        pattern=r"^[^\x00-\x08\x0a-\x1f\x7f]+$",
        description="Repeat a money-moving request safely: the first result is returned again.",
    ),
]

# The lists of a fan's own rows (newest first) go a page at a time, of at most `PageSize` rows
# (each list's default given where it is declared): the next page is asked for with the last id
# seen.
PageSize = Annotated[int, Query(ge=1, le=200, description="Rows on the page")]
BeforeId = Annotated[
    int | None, Query(ge=1, le=MAX_SAFE_INTEGER, description="Page on: the last id seen")
]
# A full page says where the next one is (a v1 client, which knows no pages, learns of more).
NEXT_PAGE_HEADER = {
    "Link": {
        "description": 'With a full page: `<path?before_id=...&limit=...>; rel="next"`, the '
        "next page (RFC 8288), relative to this one",
        "schema": {"type": "string"},
    }
}


def page(request: Request, rows: Sequence[BaseModel], ids: Sequence[int], limit: int) -> Response:
    """A page of a fan's rows (newest first; `ids` theirs) as JSON. A full page links to the
    page after it in `Link`: a relative reference, never built from the request's Host."""
    headers = None
    if ids and len(ids) >= limit:
        after = request.url.include_query_params(before_id=ids[-1], limit=limit)
        headers = {"Link": f'<{after.path}?{after.query}>; rel="next"'}
    body = b"[" + b",".join(row.model_dump_json().encode() for row in rows) + b"]"
    return Response(body, media_type=JSON, headers=headers)


JSON = "application/json"


Model = TypeVar("Model", bound=BaseModel)


def stored_json(status_code: int, model: BaseModel) -> StoredResponse:
    """A response body as it is kept for idempotent replays."""
    return StoredResponse(status_code, model.model_dump_json().encode())


def replay(response: StoredResponse) -> Response:
    """The answer as stored; a key's record that holds none answers a problem."""
    if not 100 <= response.status_code <= 599:
        # Status 0 is a claim committed without the answer of its effect, which the one
        # transaction they share rules out (`boxoffice audit` reports such a record). Sent as
        # it is, the status broke the connection mid-answer and every retry of the key got no
        # answer at all; nothing is done again either way.
        _log.error("idempotency_record_unanswered", status_code=response.status_code)
        return INTERNAL_ERROR.answer(
            "The first request with this Idempotency-Key left no answer to repeat, so whether "
            "it took effect is not known here. Check before sending it again with a new key."
        )
    return Response(response.body, response.status_code, media_type="application/json")


# A listing a fan re-reads (the seat map) is answered with its entity tag; the browser keeps it
# and asks again with If-None-Match (no-cache: always ask, private: only the fan's own cache),
# and an unchanged one costs a 304 with no body instead of the whole map.
REVALIDATE = "private, no-cache"
# Smaller bodies are sent as they are: gzip saves them little.
GZIP_MIN_BYTES = 1024


# A gzip member's header (no name, no time, "fastest" level, unknown system), and the final
# block that closes a raw deflate stream whose blocks each ended on a byte boundary.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff"
_LAST_BLOCK = zlib.compressobj(1, zlib.DEFLATED, -15).flush()


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of a body's bytes encoded on its own: its hash, and its raw deflate stream
    flushed to a byte boundary, so that pieces compressed apart join into one stream."""

    raw: bytes
    digest: bytes
    deflated: bytes

    @classmethod
    def of(cls, raw: bytes) -> Piece:
        compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
        deflated = compressor.compress(raw) + compressor.flush(zlib.Z_FULL_FLUSH)
        return cls(raw, hashlib.blake2b(raw, digest_size=16).digest(), deflated)


class PiecedBody:
    """A body made of pieces (`Piece`), with its tag and gzip encoding built from theirs: when
    one piece of a large body changes, only that piece is hashed and compressed again.

    The tag (strong) is a hash of the pieces' hashes: the same in every process for the same
    pieces. The gzip encoding, with a tag of its own (RFC 9110: each representation has its
    own strong tag), is the pieces' deflate
    streams joined, closed, and followed by the body's CRC-32 and length (RFC 1952)."""

    __slots__ = ("_body", "_etag", "_gzipped", "_pieces")

    def __init__(self, pieces: Sequence[Piece]) -> None:
        self._pieces = tuple(pieces)
        self._body: bytes | None = None
        self._etag: str | None = None
        self._gzipped: tuple[bytes, str] | None = None

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = b"".join(piece.raw for piece in self._pieces)
        return self._body

    @property
    def etag(self) -> str:
        if self._etag is None:
            digests = b"".join(piece.digest for piece in self._pieces)
            self._etag = f'"{hashlib.blake2b(digests, digest_size=16).hexdigest()}"'
        return self._etag

    def gzipped(self) -> tuple[bytes, str]:
        if self._gzipped is None:
            body = self.body
            trailer = struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)
            streams = b"".join(piece.deflated for piece in self._pieces)
            encoded = _GZIP_HEADER + streams + _LAST_BLOCK + trailer
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
    tagged: PiecedBody, if_none_match: str | None, accept_encoding: str | None
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
