"""SQL for wallets: every balance change is one conditional UPDATE plus its ledger row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.wallet.domain import EntryKind, LedgerEntry, signed_amount
from boxoffice.wallet.models import Wallet, WalletTransaction


class WalletRepository:
    def __init__(self, connection: AsyncConnection) -> None:
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
        """The new balance, or None when the credit would pass the cap."""
        result = await self._connection.execute(
            update(Wallet)
            .where(Wallet.user_id == user_id, Wallet.balance + amount <= max_balance)
            .values(balance=Wallet.balance + amount, updated_at=now)
            .returning(Wallet.balance)
        )
        value = result.scalar_one_or_none()
        return None if value is None else int(value)

    async def debit(self, user_id: int, amount: int, now: datetime) -> int | None:
        """The new balance, or None when the balance is too low (nothing changes then)."""
        result = await self._connection.execute(
            update(Wallet)
            .where(Wallet.user_id == user_id, Wallet.balance >= amount)
            .values(balance=Wallet.balance - amount, updated_at=now)
            .returning(Wallet.balance)
        )
        value = result.scalar_one_or_none()
        return None if value is None else int(value)

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
