"""Security: signed access tokens and queue passes, and password hashing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jwt.algorithms import HMACAlgorithm

from boxoffice.platform.security import PassClaims, PasswordHashing, TokenSigner

KEY = "unit-test-secret-key-of-32-bytes-or-more"
TTL = 3600


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(KEY, TTL)


NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = "A" if signature[10] != "A" else "B"
    return f"{header}.{payload}.{signature[:10]}{flipped}{signature[11:]}"


def test_an_access_token_names_its_user(signer) -> None:
    assert signer.read_access_token(signer.issue_access_token(42, NOW), NOW) == 42


def test_a_queue_pass_names_its_user_and_pass(signer) -> None:
    token = signer.issue_pass(42, "pass-abc", NOW)

    assert signer.read_pass(token) == PassClaims(user_id=42, pass_id="pass-abc")


def test_an_access_token_is_never_read_as_a_queue_pass(signer) -> None:
    assert signer.read_pass(signer.issue_access_token(42, NOW)) is None


def test_a_queue_pass_is_never_read_as_an_access_token(signer) -> None:
    assert signer.read_access_token(signer.issue_pass(42, "pass-abc", NOW), NOW) is None


def test_a_tampered_access_token_is_refused(signer) -> None:
    assert signer.read_access_token(_tamper(signer.issue_access_token(42, NOW)), NOW) is None


def test_a_tampered_queue_pass_is_refused(signer) -> None:
    assert signer.read_pass(_tamper(signer.issue_pass(42, "pass-abc", NOW))) is None


def test_tokens_signed_with_another_key_are_refused(signer) -> None:
    other = TokenSigner("another-secret-key-also-32-bytes-long!", TTL)

    assert signer.read_access_token(other.issue_access_token(42, NOW), NOW) is None
    assert signer.read_pass(other.issue_pass(42, "pass-abc", NOW)) is None


def test_an_unsigned_token_is_refused(signer) -> None:
    claims = {"sub": "42", "aud": "boxoffice:access", "exp": NOW + timedelta(hours=1)}
    unsigned = jwt.encode(claims, key=None, algorithm="none")

    assert signer.read_access_token(unsigned, NOW) is None


def test_an_access_token_without_expiry_is_refused(signer) -> None:
    endless = jwt.encode({"sub": "42", "aud": "boxoffice:access"}, KEY, algorithm="HS256")

    assert signer.read_access_token(endless, NOW) is None


def test_an_access_token_is_good_until_its_lifetime_ends_on_the_service_clock(signer) -> None:
    token = signer.issue_access_token(42, NOW)

    assert signer.read_access_token(token, NOW + timedelta(seconds=TTL - 1)) == 42
    assert signer.read_access_token(token, NOW + timedelta(seconds=TTL)) is None


def test_tokens_issued_ahead_of_the_real_clock_are_accepted(signer) -> None:
    future = datetime.now(UTC) + timedelta(days=1)

    assert signer.read_access_token(signer.issue_access_token(42, future), future) == 42
    assert signer.read_pass(signer.issue_pass(42, "pass-abc", future)) is not None


@given(st.integers(min_value=0, max_value=3 * TTL))
def test_an_access_token_lives_exactly_its_time_to_live(elapsed) -> None:
    signer = TokenSigner(KEY, TTL)
    token = signer.issue_access_token(42, NOW)

    read = signer.read_access_token(token, NOW + timedelta(seconds=elapsed))

    assert read == (42 if elapsed < TTL else None)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "..", "Bearer x"])
def test_garbage_is_no_token(signer, garbage) -> None:
    assert signer.read_access_token(garbage, NOW) is None
    assert signer.read_pass(garbage) is None


def _with_claims(token: str, **changes: object) -> str:
    """The token with its claims changed and its signature kept, as a forger would try."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps(claims | changes).encode()).rstrip(b"=")
    return f"{header}.{forged.decode()}.{signature}"


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """Every token PyJWT is asked to verify, in order."""
    seen: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: object, **kwargs: object) -> object:
        seen.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    return seen


def test_a_token_signed_elsewhere_is_verified_once_however_often_it_is_read(
    signer, decodes
) -> None:
    other_instance = TokenSigner(KEY, TTL)
    access = other_instance.issue_access_token(42, NOW)
    queue_pass = other_instance.issue_pass(42, "pass-abc", NOW)

    for _ in range(5):
        assert signer.read_access_token(access, NOW) == 42
        assert signer.read_pass(queue_pass) == PassClaims(user_id=42, pass_id="pass-abc")

    assert decodes == [access, queue_pass]


def test_a_token_signed_here_is_known_without_verifying_it(signer, decodes) -> None:
    access = signer.issue_access_token(42, NOW)
    queue_pass = signer.issue_pass(42, "pass-abc", NOW)

    assert signer.read_access_token(access, NOW) == 42
    assert signer.read_pass(queue_pass) == PassClaims(user_id=42, pass_id="pass-abc")
    assert decodes == []
    # and what was kept is what a full verification finds
    elsewhere = TokenSigner(KEY, TTL)
    assert elsewhere.read_access_token(access, NOW) == 42
    assert elsewhere.read_pass(queue_pass) == PassClaims(user_id=42, pass_id="pass-abc")
    assert elsewhere.read_access_token(access, NOW + timedelta(seconds=TTL)) is None
    assert signer.read_access_token(access, NOW + timedelta(seconds=TTL)) is None


def test_a_verified_access_token_still_expires_at_its_end(signer, decodes) -> None:
    token = TokenSigner(KEY, TTL).issue_access_token(42, NOW)
    assert signer.read_access_token(token, NOW) == 42

    assert signer.read_access_token(token, NOW + timedelta(seconds=TTL - 1)) == 42
    assert signer.read_access_token(token, NOW + timedelta(seconds=TTL)) is None
    assert signer.read_access_token(token, NOW + timedelta(days=30)) is None
    assert len(decodes) == 1, "the expiry was checked without verifying again"


@pytest.mark.parametrize(
    "alter",
    [_tamper, lambda token: _with_claims(token, sub="43"), lambda token: token + "x"],
    ids=["signature", "claims", "trailing"],
)
def test_an_altered_token_is_refused_after_the_original_was_verified(signer, alter) -> None:
    access = signer.issue_access_token(42, NOW)
    queue_pass = signer.issue_pass(42, "pass-abc", NOW)
    assert signer.read_access_token(access, NOW) == 42
    assert signer.read_pass(queue_pass) is not None

    assert signer.read_access_token(alter(access), NOW) is None
    assert signer.read_pass(alter(queue_pass)) is None
    assert signer.read_access_token(access, NOW) == 42


def test_a_refused_token_is_verified_again_each_time(signer, decodes) -> None:
    forged = _tamper(signer.issue_pass(42, "pass-abc", NOW))

    assert signer.read_pass(forged) is None
    assert signer.read_pass(forged) is None
    assert decodes == [forged, forged]


def test_the_verified_tokens_kept_stay_within_the_bound(decodes) -> None:
    signer = TokenSigner(KEY, TTL, kept=8)
    other_instance = TokenSigner(KEY, TTL)
    tokens = [other_instance.issue_access_token(user_id, NOW) for user_id in range(1, 21)]

    for user_id, token in enumerate(tokens, start=1):
        assert signer.read_access_token(token, NOW) == user_id
        signer.read_access_token(_tamper(token), NOW)
    decodes.clear()

    assert signer.read_access_token(tokens[-1], NOW) == 20  # recent: kept
    assert signer.read_access_token(tokens[0], NOW) == 1  # the oldest: let go, verified again
    assert decodes == [tokens[0]]
    assert len(signer._verified_access) == 8


@pytest.fixture(scope="module")
def hashing() -> PasswordHashing:
    return PasswordHashing()


async def test_a_password_verifies_against_its_own_hash(hashing) -> None:
    password_hash = await hashing.hash("correct horse battery")

    assert password_hash.startswith("$argon2id$")
    assert "correct horse battery" not in password_hash
    assert await hashing.verify(password_hash, "correct horse battery") is True


async def test_a_wrong_password_does_not_verify(hashing) -> None:
    password_hash = await hashing.hash("correct horse battery")

    assert await hashing.verify(password_hash, "correct horse battery!") is False


async def test_no_hash_verifies_nothing(hashing) -> None:
    assert await hashing.verify(None, "boxoffice-dummy-password") is False
    assert await hashing.verify(None, "anything") is False


async def test_a_corrupt_hash_verifies_nothing(hashing) -> None:
    assert await hashing.verify("not-a-hash", "anything") is False


async def test_the_same_password_hashes_differently_each_time(hashing) -> None:
    assert await hashing.hash("same password") != await hashing.hash("same password")


def test_a_cycle_of_as_many_fans_as_are_kept_is_verified_once_each(decodes) -> None:
    # Polls come round in a cycle: every fan's tokens must still be kept when their turn returns.
    signer = TokenSigner(KEY, TTL, kept=8)
    other_instance = TokenSigner(KEY, TTL)
    tokens = [other_instance.issue_access_token(user_id, NOW) for user_id in range(1, 9)]

    for _ in range(3):
        for user_id, token in enumerate(tokens, start=1):
            assert signer.read_access_token(token, NOW) == user_id

    assert decodes == tokens


@pytest.fixture
def key_preparations(monkeypatch) -> list[str | bytes]:
    """Every secret PyJWT's HMAC prepares (searching it for PEM and SSH key markers), in order."""
    prepared: list[str | bytes] = []
    real_prepare = HMACAlgorithm.prepare_key

    def counting_prepare(self: HMACAlgorithm, key: str | bytes) -> bytes:
        prepared.append(key)
        return real_prepare(self, key)

    monkeypatch.setattr(HMACAlgorithm, "prepare_key", counting_prepare)
    return prepared


def test_a_secret_is_prepared_once_however_many_tokens_it_signs_and_verifies(
    key_preparations,
) -> None:
    key = "a-secret-no-test-has-prepared-yet-32-bytes"
    signer, elsewhere = TokenSigner(key, TTL), TokenSigner(key, TTL)
    for fan in range(20):
        assert elsewhere.read_pass(signer.issue_pass(fan, f"pass-{fan}", NOW)) is not None
        assert elsewhere.read_access_token(signer.issue_access_token(fan, NOW), NOW) == fan
    assert key_preparations == [key]


def test_a_secret_kept_prepared_signs_for_itself_only() -> None:
    signers = [TokenSigner(f"secret-number-{n}-padded-to-32-bytes-long", TTL) for n in range(40)]
    tokens = [signer.issue_pass(1, "pass", NOW) for signer in signers]
    for n, signer in enumerate(signers):  # more secrets than are kept prepared
        assert [signer.read_pass(token) is not None for token in tokens] == [
            m == n for m in range(len(tokens))
        ]


def test_a_secret_that_is_a_key_file_is_refused_every_time(key_preparations) -> None:
    pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYI\n-----END PUBLIC KEY-----\n"
    signer = TokenSigner(pem, TTL)
    for _ in range(2):
        with pytest.raises(jwt.InvalidKeyError):
            signer.issue_pass(42, "pass-abc", NOW)
    assert key_preparations == [pem, pem]
