"""Who is calling: the account behind the bearer token, checked without a database round trip;
and what the account routes need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from boxoffice.platform.clock import Clock
from boxoffice.platform.errors import Unauthenticated
from boxoffice.platform.provided import provided
from boxoffice.platform.rate_limit import RateLimiter
from boxoffice.platform.security import PasswordHashing, TokenSigner
from boxoffice.settings import Settings

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, read exactly as
    `HTTPBearer(auto_error=False)` reads it; None if there is none."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    bearer = authorization and scheme and credentials and scheme.lower() == "bearer"
    return credentials if bearer else None


class _BearerToken(HTTPBearer):
    """The API's bearer scheme, documented by FastAPI as `HTTPBearer`, handing the route the
    token itself: `bearer_token` is the one reading of the header, and no credentials model is
    built for each request."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return bearer_token(request.headers.get("authorization"))


bearer_scheme = _BearerToken(
    auto_error=False,
    scheme_name="HTTPBearer",  # the scheme's name in the OpenAPI document, as before
    description="Access token from POST /api/v1/auth/token",
)


@dataclass(frozen=True)
class Authenticator:
    """Reads the caller from an access token."""

    signer: TokenSigner
    clock: Clock

    def user_from_token(self, token: str | None) -> int:
        if token is None:
            raise Unauthenticated()
        user_id = self.signer.read_access_token(token, self.clock.now())
        if user_id is None:
            raise Unauthenticated("The access token is invalid or expired. Log in again.")
        return user_id


authenticator = provided(Authenticator)


async def current_user_id(
    auth: Annotated[Authenticator, Depends(authenticator)],
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> int:
    return auth.user_from_token(token)


CurrentUserId = Annotated[int, Depends(current_user_id)]


@dataclass(frozen=True)
class AccountsDeps:
    """What the account routes need."""

    uow: UnitOfWorkFactory
    clock: Clock
    hashing: PasswordHashing
    signer: TokenSigner
    limiter: RateLimiter
    settings: Settings


Accounts = Annotated[AccountsDeps, Depends(provided(AccountsDeps))]
