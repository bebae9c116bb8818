"""Account routes: sign up and log in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from boxoffice.accounts import service
from boxoffice.accounts.exceptions import BadCredentials, UsernameTaken
from boxoffice.accounts.schemas import TokenOut, UserCreate, UserOut
from boxoffice.platform.dependencies import ContainerDep
from boxoffice.platform.errors import Busy, RateLimited
from boxoffice.platform.openapi import READS_BODY, problem_responses

router = APIRouter(tags=["accounts"])


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses(UsernameTaken, *READS_BODY, RateLimited, Busy),
)
async def sign_up(body: UserCreate, container: ContainerDep) -> UserOut:
    """Create an account (and its empty wallet)."""
    async with container.uow() as uow:
        account = await service.sign_up(
            uow,
            container.hashing,
            body.username,
            body.password,
            container.settings.wallet_currency,
            container.clock.now(),
        )
        await uow.commit()
    return UserOut(id=account.id, username=account.username)


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses=problem_responses(BadCredentials, *READS_BODY, RateLimited, Busy),
)
async def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], container: ContainerDep
) -> TokenOut:
    """OAuth2 password grant: an access token for the account."""
    async with container.uow(readonly=True) as uow:
        token = await service.log_in(
            uow,
            container.hashing,
            container.signer,
            form.username,
            form.password,
            container.clock.now(),
        )
    return TokenOut(access_token=token, expires_in=container.signer.access_ttl_seconds)
