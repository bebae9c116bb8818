"""Who is calling: the account behind the bearer token, checked without a database round trip;
and what the account routes need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from boxoffice.platform.clock import Clock
from boxoffice.platform.errors import Unauthenticated
from boxoffice.platform.provided import provided
from boxoffice.platform.rate_limit import RateLimiter
from boxoffice.platform.security import PasswordHashing, TokenSigner
from boxoffice.settings import Settings

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWorkFactory

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, read exactly as
    `HTTPBearer(auto_error=False)` reads it for the routes FastAPI serves; None if there is none."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    bearer = authorization and scheme and credentials and scheme.lower() == "bearer"
    return credentials if bearer else None


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
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    return auth.user_from_token(None if credentials is None else credentials.credentials)


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
