"""Who is calling: the account behind the bearer token, checked without a database round trip."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from boxoffice.bootstrap import Container
from boxoffice.platform.dependencies import ContainerDep
from boxoffice.platform.errors import Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")


async def current_user_id(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    return user_from_token(container, None if credentials is None else credentials.credentials)


def user_from_authorization(container: Container, authorization: str | None) -> int:
    """The caller of a route served without FastAPI's dependencies (see `platform.hot_routes`),
    read from the Authorization header exactly as `HTTPBearer(auto_error=False)` reads it."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    bearer = authorization and scheme and credentials and scheme.lower() == "bearer"
    return user_from_token(container, credentials if bearer else None)


def user_from_token(container: Container, token: str | None) -> int:
    if token is None:
        raise Unauthenticated()
    user_id = container.signer.read_access_token(token, container.clock.now())
    if user_id is None:
        raise Unauthenticated("The access token is invalid or expired. Log in again.")
    return user_id


CurrentUserId = Annotated[int, Depends(current_user_id)]
