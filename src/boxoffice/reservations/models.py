"""Reservation tables: the hold and the seats it named, kept after it ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.accounts.models import IdType
from boxoffice.platform.database import Base, UTCDateTime


class Reservation(Base):
    __tablename__ = "reservation"
    __table_args__ = (
        CheckConstraint("status IN ('HELD', 'CONFIRMED', 'EXPIRED', 'CANCELLED')", name="status"),
        CheckConstraint("amount >= 0", name="amount"),
        Index("ix_reservation_user_id_id", "user_id", "id"),
        Index("ix_reservation_status_held_until", "status", "held_until"),
        # Holds by the minute, for the organizer's board (migration 0007).
        Index("ix_reservation_created_at", "created_at"),
        # Each fan's held reservations alone, for the per-fan hold limit (migration 0004).
        Index(
            "ix_reservation_user_id_held",
            "user_id",
            postgresql_where=text("status = 'HELD'"),
            sqlite_where=text("status = 'HELD'"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id"))
    amount: Mapped[int] = mapped_column(IdType)
    status: Mapped[str] = mapped_column(String(16), default="HELD")
    held_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReservationSeat(Base):
    __tablename__ = "reservation_seat"

    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservation.id"), primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seat.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    price: Mapped[int] = mapped_column(IdType)
