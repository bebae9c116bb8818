"""Wallet errors with the contract's codes."""

from __future__ import annotations

from boxoffice.platform.errors import INTEGER, DomainError, problem_members


class BalanceLimitExceeded(DomainError):
    code = "BALANCE_LIMIT_EXCEEDED"
    status = 409
    title = "Balance limit exceeded"


class InsufficientBalance(DomainError):
    code = "INSUFFICIENT_BALANCE"
    status = 402
    title = "Balance too low"
    members = problem_members(
        amount=INTEGER | {"description": "What the payment costs"},
        balance=INTEGER | {"description": "The wallet's balance"},
    )


class ChargeTooLarge(DomainError):
    """Over the single-charge limit: a validation error of the `amount` field."""

    code = "VALIDATION_ERROR"
    status = 422
    title = "Invalid request"
