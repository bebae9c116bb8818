"""Wallet request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from boxoffice.wallet.domain import EntryKind


class BalanceOut(BaseModel):
    balance: int
    currency: str


class ChargeRequest(BaseModel):
    amount: int = Field(gt=0, description="Smallest currency unit; at most the single-charge limit")


class ChargeOut(BaseModel):
    transaction_id: int
    amount: int
    balance: int


class TransactionOut(BaseModel):
    id: int
    kind: EntryKind
    amount: int = Field(description="Signed: a PAYMENT is negative")
    balance_after: int
    reservation_id: int | None
    created_at: datetime
