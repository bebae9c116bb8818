"""Entity tags and encodings: a body's tags, which If-None-Match headers name one, and which
Accept-Encoding headers take gzip."""

from __future__ import annotations

import gzip

import pytest

from boxoffice.platform.http import TaggedBody, accepts_gzip, names_etag

TAG = TaggedBody(b'[{"number":1}]').etag


def test_a_tag_is_a_quoted_hash_of_the_bytes() -> None:
    assert TAG.startswith('"')
    assert TAG.endswith('"')
    assert TaggedBody(b'[{"number":1}]').etag == TAG
    assert TaggedBody(b'[{"number":2}]').etag != TAG


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
    body = b'[{"number":1,"status":"AVAILABLE"}]' * 100
    tagged = TaggedBody(body)

    encoded, etag = tagged.gzipped()

    assert gzip.decompress(encoded) == body
    assert etag != tagged.etag
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert tagged.gzipped()[0] is encoded
