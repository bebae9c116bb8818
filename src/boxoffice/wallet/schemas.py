"""Wallet request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictInt

from boxoffice.platform.limits import MAX_SAFE_INTEGER
from boxoffice.wallet.domain import EntryKind


class BalanceOut(BaseModel):
    balance: int
    currency: str


class ChargeRequest(BaseModel):
    amount: StrictInt = Field(
        gt=0, le=MAX_SAFE_INTEGER, description="Smallest currency unit; at most the single charge"
    )


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
