"""Entity tags: a body's tag, and which If-None-Match headers name it."""

from __future__ import annotations

import pytest

from boxoffice.platform.http import TaggedBody, names_etag

TAG = TaggedBody.of(b'[{"number":1}]').etag


def test_a_tag_is_a_quoted_hash_of_the_bytes() -> None:
    assert TAG.startswith('"')
    assert TAG.endswith('"')
    assert TaggedBody.of(b'[{"number":1}]').etag == TAG
    assert TaggedBody.of(b'[{"number":2}]').etag != TAG


@pytest.mark.parametrize(
    "if_none_match",
    [TAG, f"W/{TAG}", f' "a", {TAG} ', "*", f'"a",W/{TAG}'],
)
def test_headers_that_name_the_tag(if_none_match: str) -> None:
    assert names_etag(if_none_match, TAG)


@pytest.mark.parametrize("if_none_match", [None, "", '"a"', TAG.strip('"'), f"{TAG}x", "W/"])
def test_headers_that_do_not(if_none_match: str | None) -> None:
    assert not names_etag(if_none_match, TAG)
