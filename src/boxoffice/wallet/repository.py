"""SQL for wallets: every balance change is the row locked, the rule checked, the row updated,
plus its ledger row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from boxoffice.platform.database import OnDemandConnection
from boxoffice.wallet.domain import (
    EntryKind,
    LedgerEntry,
    can_credit,
    can_debit,
    signed_amount,
)
from boxoffice.wallet.models import Wallet, WalletTransaction


class WalletRepository:
    def __init__(self, connection: OnDemandConnection) -> None:
        self._connection = connection

    async def open(self, user_id: int, currency: str, now: datetime) -> None:
        await self._connection.execute(
            insert(Wallet).values(user_id=user_id, balance=0, currency=currency, updated_at=now)
        )

    async def balance(self, user_id: int) -> tuple[int, str] | None:
        row = (
            await self._connection.execute(
                select(Wallet.balance, Wallet.currency).where(Wallet.user_id == user_id)
            )
        ).one_or_none()
        return None if row is None else (int(row.balance), str(row.currency))

    async def credit(
        self, user_id: int, amount: int, max_balance: int, now: datetime
    ) -> int | None:
        """The new balance, or None when `can_credit` refuses (nothing changes then)."""
        balance = await self._locked_balance(user_id)
        if balance is None or not can_credit(balance, amount, max_balance):
            return None
        return await self._move(user_id, amount, now)

    async def debit(self, user_id: int, amount: int, now: datetime) -> int | None:
        """The new balance, or None when `can_debit` refuses (nothing changes then)."""
        balance = await self._locked_balance(user_id)
        if balance is None or not can_debit(balance, amount):
            return None
        return await self._move(user_id, -amount, now)

    async def _locked_balance(self, user_id: int) -> int | None:
        # The row lock (PostgreSQL; SQLite's writers take turns) holds the balance still from
        # this read to the write that follows, so the rule is decided in Python on a fresh
        # value and no concurrent move slips between the check and the write.
        value = (
            await self._connection.execute(
                select(Wallet.balance).where(Wallet.user_id == user_id).with_for_update()
            )
        ).scalar_one_or_none()
        return None if value is None else int(value)

    async def _move(self, user_id: int, signed: int, now: datetime) -> int:
        result = await self._connection.execute(
            update(Wallet)
            .where(Wallet.user_id == user_id)
            .values(balance=Wallet.balance + signed, updated_at=now)
            .returning(Wallet.balance)
        )
        return int(result.scalar_one())

    async def record(
        self,
        user_id: int,
        kind: EntryKind,
        amount: int,
        balance_after: int,
        now: datetime,
        reservation_id: int | None = None,
    ) -> LedgerEntry:
        signed = signed_amount(kind, amount)
        result = await self._connection.execute(
            insert(WalletTransaction)
            .values(
                user_id=user_id,
                kind=kind.value,
                amount=signed,
                balance_after=balance_after,
                reservation_id=reservation_id,
                created_at=now,
            )
            .returning(WalletTransaction.id)
        )
        return LedgerEntry(
            int(result.scalar_one()), kind, signed, balance_after, now, reservation_id
        )

    async def entries(self, user_id: int, limit: int, before_id: int | None) -> list[LedgerEntry]:
        query = (
            select(WalletTransaction)
            .where(WalletTransaction.user_id == user_id)
            .order_by(WalletTransaction.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            query = query.where(WalletTransaction.id < before_id)
        rows = (await self._connection.execute(query)).all()
        return [
            LedgerEntry(
                row.id,
                EntryKind(row.kind),
                row.amount,
                row.balance_after,
                row.created_at,
                row.reservation_id,
            )
            for row in rows
        ]
