"""Wallet and its ledger. The balance is a cache of the ledger's sum, checked by `audit`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.accounts.models import IdType
from boxoffice.platform.database import Base, UTCDateTime


class Wallet(Base):
    __tablename__ = "wallet"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(IdType, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WalletTransaction(Base):
    __tablename__ = "wallet_transaction"
    __table_args__ = (
        CheckConstraint("kind IN ('CHARGE', 'PAYMENT', 'REFUND')", name="kind"),
        CheckConstraint(
            "(kind = 'PAYMENT' AND amount < 0) OR (kind <> 'PAYMENT' AND amount > 0)",
            name="sign",
        ),
        CheckConstraint("balance_after >= 0", name="balance_after"),
        Index("ix_wallet_transaction_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("wallet.user_id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(IdType)
    balance_after: Mapped[int] = mapped_column(IdType)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
