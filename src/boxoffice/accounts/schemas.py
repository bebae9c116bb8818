"""Account request and response bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from boxoffice.accounts.domain import USERNAME_PATTERN


class UserCreate(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN, examples=["fan_01"])
    password: str = Field(min_length=8, max_length=128)


class UserOut(BaseModel):
    id: int
    username: str


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
