"""Account use cases: sign up (opening an empty wallet) and log in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from boxoffice.accounts.domain import is_username
from boxoffice.accounts.exceptions import BadCredentials, UsernameTaken
from boxoffice.accounts.repository import Account
from boxoffice.platform.security import PasswordHashing, TokenSigner

if TYPE_CHECKING:  # built above the domains (pyproject: [tool.importlinter])
    from boxoffice.unit_of_work import UnitOfWork


async def sign_up(
    uow: UnitOfWork, username: str, password_hash: str, currency: str, now: datetime
) -> Account:
    """Create the account and its empty wallet; raise UsernameTaken if the name is in use.

    The password arrives hashed: hashing takes tens of milliseconds, and done inside the
    transaction it would hold the embedded database's one writer turn all that time.
    """
    user_id = await uow.accounts.add(username, password_hash, now)
    if user_id is None:
        raise UsernameTaken(f"The username '{username}' is taken; choose another one.")
    await uow.wallets.open(user_id, currency, now)
    return Account(user_id, username, password_hash)


async def find_account(uow: UnitOfWork, username: str) -> Account | None:
    """The account of a username, to log in with; none for a name no account could have
    (PostgreSQL refuses some, such as one with a NUL, as an error)."""
    if not is_username(username):
        return None
    return await uow.accounts.by_username(username)


async def log_in(
    account: Account | None,
    hashing: PasswordHashing,
    signer: TokenSigner,
    password: str,
    now: datetime,
) -> str:
    """An access token for the right username and password; BadCredentials otherwise.

    Checked outside any transaction (the hash is slow); an unknown name costs the same time."""
    if not await hashing.verify(account.password_hash if account else None, password):
        raise BadCredentials("Wrong username or password. Check both and try again.")
    assert account is not None
    return signer.issue_access_token(account.id, now)


async def stronger_hash(account: Account, hashing: PasswordHashing, password: str) -> str | None:
    """After a right log-in: the password hashed anew if its hash was made with other costs
    than today's (raised since, say), so that every account comes to today's strength and an
    unknown name's check (hashed with today's costs) takes as long as a known one's. None if the
    hash is as it should be."""
    if not hashing.needs_rehash(account.password_hash):
        return None
    return await hashing.hash(password)


async def keep_stronger_hash(uow: UnitOfWork, account: Account, new_hash: str) -> None:
    await uow.accounts.replace_hash(account.id, account.password_hash, new_hash)
