"""Concert, date (schedule) and seat tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.accounts.models import IdType
from boxoffice.platform.database import Base, UTCDateTime


class Concert(Base):
    __tablename__ = "concert"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    venue: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Schedule(Base):
    __tablename__ = "schedule"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    concert_id: Mapped[int] = mapped_column(ForeignKey("concert.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    total_seats: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Seat(Base):
    """A seat's current state. `reservation_id` is the one reservation that holds or bought it.

    Because a seat row points at one reservation at most, a seat can never be in two live
    reservations, whatever the application code does (design invariant 1).
    """

    __tablename__ = "seat"
    __table_args__ = (
        UniqueConstraint("schedule_id", "number"),
        CheckConstraint("status IN ('AVAILABLE', 'HELD', 'SOLD')", name="status"),
        CheckConstraint("price >= 0", name="price"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint(
            "(status = 'AVAILABLE' AND reservation_id IS NULL AND held_until IS NULL)"
            " OR (status = 'HELD' AND reservation_id IS NOT NULL AND held_until IS NOT NULL)"
            " OR (status = 'SOLD' AND reservation_id IS NOT NULL AND held_until IS NULL)",
            name="state",
        ),
        Index("ix_seat_reservation_id", "reservation_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id"))
    number: Mapped[int] = mapped_column(Integer)
    section: Mapped[str] = mapped_column(String(50), default="")
    price: Mapped[int] = mapped_column(IdType)
    status: Mapped[str] = mapped_column(String(16), default="AVAILABLE")
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservation.id"), nullable=True)
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
