"""The load generator parses a tagged body once per tag, however many fans read it."""

from __future__ import annotations

import gzip
from typing import Any

import orjson

from boxoffice_rush.client import SharedDecodes
from boxoffice_rush.seats import free_numbers


class _Counting:
    """The fans' seat-map digest, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, raw: bytes) -> Any:
        self.calls += 1
        return free_numbers(raw)


def _map(*numbers: int) -> bytes:
    return orjson.dumps([{"number": n, "status": "AVAILABLE"} for n in numbers])


def test_the_same_tag_is_parsed_once() -> None:
    digest = _Counting()
    decodes = SharedDecodes(digest)

    answers = [decodes.decode('"a"', _map(1, 2)) for _ in range(5)]

    assert answers == [[1, 2]] * 5
    assert digest.calls == 1


def test_another_tag_or_no_tag_is_parsed_again() -> None:
    digest = _Counting()
    decodes = SharedDecodes(digest)

    assert decodes.decode('"a"', _map(1)) == [1]
    assert decodes.decode('"b"', _map(2)) == [2]
    assert decodes.decode(None, _map(3)) == [3]
    assert decodes.decode(None, _map(3)) == [3]
    assert digest.calls == 4


def test_the_oldest_tag_goes_first_when_full() -> None:
    digest = _Counting()
    decodes = SharedDecodes(digest, size=2)
    decodes.decode('"a"', _map(1))
    decodes.decode('"b"', _map(2))
    decodes.decode('"c"', _map(3))

    decodes.decode('"b"', _map(2))
    decodes.decode('"a"', _map(1))

    assert digest.calls == 4  # "b" was kept, "a" was parsed again


def test_a_body_that_is_not_json_decodes_to_none() -> None:
    assert SharedDecodes(_Counting()).decode('"a"', b"<html>") is None


def test_a_gzipped_body_is_inflated_once_per_tag() -> None:
    digest = _Counting()
    decodes = SharedDecodes(digest)
    zipped = gzip.compress(_map(4, 5))

    answers = [decodes.decode('"a-gzip"', zipped, gzipped=True) for _ in range(3)]

    assert answers == [[4, 5]] * 3
    assert digest.calls == 1
    assert decodes.decode('"b"', b"not gzip", gzipped=True) is None


def test_a_corrupt_gzip_body_decodes_to_none() -> None:
    corrupt = bytearray(gzip.compress(_map(1, 2, 3)))
    corrupt[10] = 0xFF  # the first deflate block (after the 10-byte header): a reserved type

    assert SharedDecodes(_Counting()).decode('"a"', bytes(corrupt), gzipped=True) is None
