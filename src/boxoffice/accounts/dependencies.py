"""Who is calling: the account behind the bearer token, checked without a database round trip."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from boxoffice.platform.dependencies import ContainerDep
from boxoffice.platform.errors import Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")


async def current_user_id(
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    if credentials is None:
        raise Unauthenticated()
    user_id = container.signer.read_access_token(credentials.credentials, container.clock.now())
    if user_id is None:
        raise Unauthenticated("The access token is invalid or expired. Log in again.")
    return user_id


CurrentUserId = Annotated[int, Depends(current_user_id)]
