"""Payments. One per reservation, by a unique constraint (design invariant 4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.accounts.models import IdType
from boxoffice.platform.database import Base, UTCDateTime


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("status IN ('PAID', 'REFUNDED')", name="status"),
        CheckConstraint("amount >= 0", name="amount"),
        Index("ix_payment_user_id_id", "user_id", "id"),
        # Sales by the minute, for the organizer's board (migration 0007).
        Index("ix_payment_paid_at", "paid_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservation.id"), unique=True)
    amount: Mapped[int] = mapped_column(IdType)
    status: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
