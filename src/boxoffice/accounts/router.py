"""Account routes: sign up and log in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from boxoffice.accounts import limits, service
from boxoffice.accounts.dependencies import Accounts
from boxoffice.accounts.exceptions import BadCredentials, UsernameTaken
from boxoffice.accounts.schemas import TokenOut, UserCreate, UserOut
from boxoffice.platform.dependencies import client_ip
from boxoffice.platform.errors import Busy, RateLimited
from boxoffice.platform.lean_route import api_router
from boxoffice.platform.openapi import READS_BODY, problem_responses

router = api_router(tags=["accounts"])


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses(UsernameTaken, *READS_BODY, RateLimited, Busy),
)
async def sign_up(body: UserCreate, deps: Accounts, request: Request) -> UserOut:
    """Create an account (and its empty wallet)."""
    now = deps.clock.now()
    await limits.guard_sign_up(deps.limiter, deps.settings, client_ip(request), now.timestamp())
    password_hash = await deps.hashing.hash(body.password)  # before the transaction
    async with deps.uow() as uow:
        account = await service.sign_up(
            uow, body.username, password_hash, deps.settings.wallet_currency, now
        )
        await uow.commit()
    return UserOut(id=account.id, username=account.username)


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses=problem_responses(BadCredentials, *READS_BODY, RateLimited, Busy),
)
async def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    deps: Accounts,
    request: Request,
) -> TokenOut:
    """OAuth2 password grant: an access token for the account."""
    now = deps.clock.now()
    limiter, settings = deps.limiter, deps.settings
    await limits.guard_log_in(limiter, settings, client_ip(request), form.username, now.timestamp())
    async with deps.uow(readonly=True) as uow:
        account = await service.find_account(uow, form.username)
    token = await service.log_in(account, deps.hashing, deps.signer, form.password, now)
    await limits.logged_in(limiter, settings, form.username, now.timestamp())
    assert account is not None  # log_in refused an unknown name
    # Hashed outside any transaction (slow), written in one of its own (platform: a write).
    new_hash = await service.stronger_hash(account, deps.hashing, form.password)
    if new_hash is not None:
        async with deps.uow() as uow:
            await service.keep_stronger_hash(uow, account, new_hash)
            await uow.commit()
    return TokenOut(access_token=token, expires_in=deps.signer.access_ttl_seconds)
