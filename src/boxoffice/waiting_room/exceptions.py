"""Waiting-room errors with the contract's codes."""

from __future__ import annotations

from boxoffice.platform.errors import DomainError


class QueueTokenInvalid(DomainError):
    code = "QUEUE_TOKEN_INVALID"
    status = 401
    title = "Queue pass missing or not valid"


class QueueTokenNotActive(DomainError):
    code = "QUEUE_TOKEN_NOT_ACTIVE"
    status = 403
    title = "Still waiting in line"


class QueueTokenExpired(DomainError):
    code = "QUEUE_TOKEN_EXPIRED"
    status = 401
    title = "Queue pass expired or used up"


class QueueTokenForbidden(DomainError):
    code = "QUEUE_TOKEN_FORBIDDEN"
    status = 403
    title = "Queue pass of another account or for another line"
