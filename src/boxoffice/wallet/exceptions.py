"""Wallet errors with the contract's codes."""

from __future__ import annotations

from boxoffice.platform.errors import DomainError


class BalanceLimitExceeded(DomainError):
    code = "BALANCE_LIMIT_EXCEEDED"
    status = 409
    title = "Balance limit exceeded"


class InsufficientBalance(DomainError):
    code = "INSUFFICIENT_BALANCE"
    status = 402
    title = "Balance too low"


class ChargeTooLarge(DomainError):
    """Over the single-charge limit: a validation error of the `amount` field."""

    code = "VALIDATION_ERROR"
    status = 422
    title = "Invalid request"
