"""Password hashing (argon2) and signed tokens (HS256 JWT): access, queue passes, stream tickets."""

from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import blake2b
from typing import Any, Generic, TypeVar

import anyio.to_thread
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from jwt.algorithms import HMACAlgorithm

_ACCESS_AUDIENCE = "boxoffice:access"
_PASS_AUDIENCE = "boxoffice:queue-pass"  # noqa: S105 - an audience name, not a secret
# A stream ticket opens one pass's event stream and is good for nothing else: its own audience
# keeps it from passing for an access token or a pass, and theirs from passing for it.
_STREAM_AUDIENCE = "boxoffice:queue-stream"
_ALGORITHM = "HS256"
# Tokens kept once verified, per kind (a fan sends the same two on every request), by a 16-byte
# BLAKE2b digest of the token rather than its text: with its claims about 210 bytes an access
# token and 280 a pass, instead of some 450 and 540 with the text (tracemalloc), so the default
# 60,000 of each hold about 28 MiB when full. The bound must exceed the fans who poll one
# process: polls come round in a cycle, and a least-recently-used cache smaller than the cycle
# keeps none of it (a process polled in turn by 25,000 fans would, with 20,000 entries, verify
# every poll in full).
VERIFIED_TOKENS_KEPT = 60_000
_DIGEST_BYTES = 16

V = TypeVar("V")


class _KeyPreparedOnce(HMACAlgorithm):
    """HS256 that prepares and checks each secret once, not on every token.

    PyJWT prepares the key of every token it signs or verifies: it searches the secret for PEM
    and SSH key markers (refusing those as HMAC secrets) and checks its length, about a third of
    signing a pass (scripts/profiling/token_costs.py). A service signs with one secret for its
    whole life, so the answers for the last `KEYS_KEPT` secrets are kept (a test process makes
    many apps, each with its own); a refusal is an exception, never kept, so a refused secret is
    refused every time.
    """

    KEYS_KEPT = 16

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        kept = functools.lru_cache(maxsize=self.KEYS_KEPT)
        # HMACAlgorithm's own methods, looked up at each call (as PyJWT's are).
        self._prepared = kept(lambda key: HMACAlgorithm.prepare_key(self, key))
        self._length_notes = kept(lambda key: HMACAlgorithm.check_key_length(self, key))

    def prepare_key(self, key: str | bytes) -> bytes:
        return self._prepared(key)

    def check_key_length(self, key: bytes) -> str | None:
        return self._length_notes(key)


# PyJWT's algorithms are the module's (jwt.encode and jwt.decode use them): HS256 is this one.
jwt.unregister_algorithm(_ALGORITHM)
jwt.register_algorithm(_ALGORITHM, _KeyPreparedOnce())


class PasswordHashing:
    """argon2id hashing, run off the event loop because it is deliberately slow, `at_once` at
    most: each hash takes its memory cost (64 MiB by default) and a core for its time, so a
    burst of sign-ups and log-ins queues here instead of exhausting the machine; a request
    that waits past its deadline gives up its turn."""

    def __init__(self, hasher: PasswordHasher | None = None, *, at_once: int = 2) -> None:
        self._hasher = hasher or PasswordHasher()
        self._turns = anyio.CapacityLimiter(at_once)
        # A fixed hash to verify against when the user does not exist, so that a login for an
        # unknown name takes as long as one with a wrong password.
        self._dummy_hash = self._hasher.hash("boxoffice-dummy-password")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._turns)

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other costs than today's (PASSWORD_* settings)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def _verify() -> bool:
            try:
                return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                    password_hash is not None
                )
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(_verify, limiter=self._turns)


@dataclass(frozen=True, slots=True)
class PassClaims:
    user_id: int
    pass_id: str
    # When the pass joined (the store's exact float) and its place in line: what a lost store
    # needs to give the place back. Absent from passes signed before they were carried.
    joined_at: float | None = None
    place: int | None = None
    # The concert whose own line the pass is for; None for the house line (and every pass
    # signed before lines had concerts).
    line: int | None = None


@dataclass(frozen=True, slots=True)
class StreamTicket:
    """Who may open the event stream of which pass, until when (epoch seconds)."""

    user_id: int
    pass_id: str
    expires_at: int


class _Refused(Exception):
    """A token that did not verify."""


def _digest(token: str) -> bytes:
    # A token that is not the one kept would need a second preimage of BLAKE2b-128 to match.
    return blake2b(token.encode(), digest_size=_DIGEST_BYTES).digest()


class _Verified(Generic[V]):
    """The last `size` tokens that verified (or that this process signed), by their digest."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[bytes, V] = OrderedDict()

    def get(self, token: str) -> V | None:
        key = _digest(token)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def keep(self, token: str, value: V) -> None:
        key = _digest(token)
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class TokenSigner:
    """Issues and checks HS256 JWTs: account access tokens and queue passes, never confused."""

    def __init__(
        self, secret_key: str, access_ttl_seconds: int, *, kept: int = VERIFIED_TOKENS_KEPT
    ) -> None:
        self._key = secret_key
        self.access_ttl_seconds = access_ttl_seconds
        # Verifying an HS256 JWT costs ~0.1 ms, on every request of a polling fan. Only a string
        # that verified, or that this process signed, is kept: a forged or altered token is a
        # string never seen, so it is verified in full every time, and refused.
        self._verified_access: _Verified[tuple[int, int]] = _Verified(kept)
        self._verified_pass: _Verified[PassClaims] = _Verified(kept)

    @property
    def kept(self) -> tuple[int, int]:
        """How many access tokens and passes this process keeps verified now."""
        return len(self._verified_access), len(self._verified_pass)

    def issue_access_token(self, user_id: int, now: datetime) -> str:
        # Whole seconds, as the token carries it.
        expires_at = int((now + timedelta(seconds=self.access_ttl_seconds)).timestamp())
        claims = {
            "sub": str(user_id),
            "aud": _ACCESS_AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": expires_at,
        }
        token = jwt.encode(claims, self._key, algorithm=_ALGORITHM)
        # The fan's next requests often come to this process: known at once, never decoded.
        self._verified_access.keep(token, (user_id, expires_at))
        return token

    def read_access_token(self, token: str, now: datetime) -> int | None:
        """The user id of a valid access token unexpired at `now`; None for anything else."""
        known = self._verified_access.get(token)
        if known is None:
            try:
                known = self._verify_access_token(token)
            except _Refused:
                return None
            self._verified_access.keep(token, known)
        user_id, expires_at = known
        # Expiry is checked on every call, cached or not, against the service's clock, not the
        # library's, so that every time rule of the service follows one clock.
        return user_id if expires_at > now.timestamp() else None

    def _verify_access_token(self, token: str) -> tuple[int, int]:
        """The user id and expiry (epoch seconds) of an access token this service signed."""
        claims = self._decode(token, _ACCESS_AUDIENCE)
        try:
            return int(claims["sub"]), int(claims["exp"])
        except (KeyError, ValueError, TypeError) as error:
            raise _Refused from error

    def _decode(self, token: str, audience: str) -> dict[str, Any]:
        """The claims of a token this service signed for `audience`, with its `sub` and `exp`
        (whose time the caller judges by the service's clock); _Refused if it is not one."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=audience,
                options={"verify_exp": False, "verify_iat": False, "require": ["exp", "sub"]},
            )
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as error:
            raise _Refused from error
        return claims

    def issue_stream_ticket(
        self, user_id: int, pass_id: str, now: datetime, ttl_seconds: int
    ) -> tuple[str, StreamTicket]:
        """A ticket (and its claims) for the event stream of one fan's pass, for `ttl_seconds`."""
        expires_at = int(now.timestamp()) + ttl_seconds
        claims = {
            "sub": str(user_id),
            "pid": pass_id,
            "aud": _STREAM_AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": expires_at,
        }
        ticket = jwt.encode(claims, self._key, algorithm=_ALGORITHM)
        return ticket, StreamTicket(user_id, pass_id, expires_at)

    def read_stream_ticket(self, ticket: str, now: datetime) -> StreamTicket | None:
        """The claims of a stream ticket this service signed, unexpired at `now`; else None.

        Not kept once verified: a ticket is read once for each stream it opens.
        """
        try:
            claims = self._decode(ticket, _STREAM_AUDIENCE)
            found = StreamTicket(int(claims["sub"]), str(claims["pid"]), int(claims["exp"]))
        except (_Refused, KeyError, ValueError, TypeError):
            return None
        # The service's clock, as for access tokens.
        return found if found.expires_at > now.timestamp() else None

    def issue_pass(
        self,
        user_id: int,
        pass_id: str,
        now: datetime,
        *,
        joined_at: float | None = None,
        place: int | None = None,
        line: int | None = None,
    ) -> str:
        """A pass issued `now` for `line` (a concert's own line, or None: the house line); with
        when it joined and its place, it carries what restores it to the line should the
        waiting room's store be lost."""
        # No expiry in the token: the waiting-room store decides whether a pass is still live,
        # so that a pass can be used up or revoked the moment it is paid with.
        claims: dict[str, str | int | float] = {
            "sub": str(user_id),
            "pid": pass_id,
            "aud": _PASS_AUDIENCE,
            "iat": int(now.timestamp()),
        }
        if joined_at is not None and place is not None:
            claims |= {"jat": joined_at, "plc": place}
        if line is not None:
            claims["lin"] = line
        token = jwt.encode(claims, self._key, algorithm=_ALGORITHM)
        self._verified_pass.keep(token, PassClaims(user_id, pass_id, joined_at, place, line))
        return token

    def read_pass(self, token: str) -> PassClaims | None:
        """The claims of a pass this service signed; None for a forged or altered one."""
        known = self._verified_pass.get(token)
        if known is None:
            try:
                known = self._verify_pass(token)
            except _Refused:
                return None
            self._verified_pass.keep(token, known)
        return known

    def _verify_pass(self, token: str) -> PassClaims:
        """The claims of a pass this service signed."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                audience=_PASS_AUDIENCE,
                options={"verify_iat": False},  # times are the store's and the service clock's
            )
            joined_at, place, line = claims.get("jat"), claims.get("plc"), claims.get("lin")
            return PassClaims(
                user_id=int(claims["sub"]),
                pass_id=str(claims["pid"]),
                joined_at=None if joined_at is None else float(joined_at),
                place=None if place is None else int(place),
                line=None if line is None else int(line),
            )
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise _Refused from error
