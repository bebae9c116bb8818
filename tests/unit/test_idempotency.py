"""Idempotency fingerprints: what makes two requests 'the same request'."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from boxoffice.platform.idempotency import request_fingerprint

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=10,
)


def test_the_same_request_has_the_same_fingerprint() -> None:
    assert request_fingerprint("POST", "/wallet/charges", {"amount": 1000}) == request_fingerprint(
        "POST", "/wallet/charges", {"amount": 1000}
    )


def test_key_order_does_not_matter() -> None:
    first = request_fingerprint("POST", "/payments", {"a": 1, "b": {"x": 1, "y": 2}})
    second = request_fingerprint("POST", "/payments", {"b": {"y": 2, "x": 1}, "a": 1})

    assert first == second


def test_another_body_path_or_method_is_another_request() -> None:
    base = request_fingerprint("POST", "/wallet/charges", {"amount": 1000})

    assert request_fingerprint("POST", "/wallet/charges", {"amount": 1001}) != base
    assert request_fingerprint("POST", "/payments", {"amount": 1000}) != base
    assert request_fingerprint("PUT", "/wallet/charges", {"amount": 1000}) != base


def test_a_fingerprint_is_a_sha256_hex_digest() -> None:
    fingerprint = request_fingerprint("POST", "/payments", {"reservation_id": 7})

    assert len(fingerprint) == 64
    int(fingerprint, 16)


@given(json_values, json_values)
def test_fingerprints_differ_exactly_when_payloads_do(first, second) -> None:
    same = request_fingerprint("POST", "/x", first) == request_fingerprint("POST", "/x", second)

    assert same is (first == second and _types(first) == _types(second))


def _types(value: object) -> object:
    """The shape of a JSON value with its scalar types: True and 1 are different requests."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)
