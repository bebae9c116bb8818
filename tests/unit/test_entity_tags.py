"""Entity tags and encodings: a body's tags, which If-None-Match headers name one, and which
Accept-Encoding headers take gzip."""

from __future__ import annotations

import gzip

import pytest

from boxoffice.platform.http import Piece, PiecedBody, accepts_gzip, names_etag


def tagged(*pieces: bytes) -> PiecedBody:
    return PiecedBody([Piece.of(piece) for piece in pieces])


TAG = tagged(b'[{"number":1}]').etag


def test_a_tag_is_a_quoted_hash_of_the_pieces() -> None:
    assert TAG.startswith('"')
    assert TAG.endswith('"')
    assert tagged(b'[{"number":1}]').etag == TAG
    assert tagged(b'[{"number":2}]').etag != TAG
    assert tagged(b'[{"number":', b"1}]").etag != TAG  # pieces cut elsewhere: another tag


@pytest.mark.parametrize(
    "if_none_match",
    [TAG, f"W/{TAG}", f' "a", {TAG} ', "*", f'"a",W/{TAG}'],
)
def test_headers_that_name_the_tag(if_none_match: str) -> None:
    assert names_etag(if_none_match, TAG)


@pytest.mark.parametrize("if_none_match", [None, "", '"a"', TAG.strip('"'), f"{TAG}x", "W/"])
def test_headers_that_do_not(if_none_match: str | None) -> None:
    assert not names_etag(if_none_match, TAG)


@pytest.mark.parametrize(
    ("accept_encoding", "takes_gzip"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("gzip;q=nonsense", False),
        ("deflate, br", False),
        ("identity", False),
        ("", False),
        (None, False),
    ],
)
def test_which_accept_encodings_take_gzip(accept_encoding: str | None, takes_gzip: bool) -> None:
    assert accepts_gzip(accept_encoding) is takes_gzip


def test_the_gzip_encoding_has_its_own_tag_and_is_made_once() -> None:
    pieces = [b"[" + b'{"number":1,"status":"AVAILABLE"},' * 50, b"", b'{"number":2}' * 30 + b"]"]
    body = tagged(*pieces)

    encoded, etag = body.gzipped()

    assert body.body == b"".join(pieces)
    assert gzip.decompress(encoded) == body.body  # one gzip member from the pieces' streams
    assert etag != body.etag
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert body.gzipped()[0] is encoded
