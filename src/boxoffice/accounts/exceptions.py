"""Account errors with the contract's codes."""

from __future__ import annotations

from boxoffice.platform.errors import DomainError


class UsernameTaken(DomainError):
    code = "USERNAME_TAKEN"
    status = 409
    title = "Username taken"


class BadCredentials(DomainError):
    code = "BAD_CREDENTIALS"
    status = 401
    title = "Wrong username or password"
