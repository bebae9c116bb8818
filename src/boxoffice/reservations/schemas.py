"""Reservation request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt, field_validator

from boxoffice.platform.limits import MAX_SAFE_INTEGER, MAX_SEAT_NUMBER
from boxoffice.reservations.domain import Reservation, ReservationStatus


class HoldRequest(BaseModel):
    schedule_id: StrictInt = Field(ge=1, le=MAX_SAFE_INTEGER)
    seat_numbers: list[Annotated[StrictInt, Field(ge=1, le=MAX_SEAT_NUMBER)]] = Field(
        min_length=1, max_length=100
    )

    @field_validator("seat_numbers")
    @classmethod
    def _distinct_positive(cls, numbers: list[int]) -> list[int]:
        if len(set(numbers)) != len(numbers):
            raise ValueError("each seat number once")
        return numbers


class ReservedSeatOut(BaseModel):
    number: int
    price: int


class ReservationOut(BaseModel):
    id: int
    schedule_id: int
    seats: list[ReservedSeatOut]
    amount: int
    status: ReservationStatus
    held_until: datetime
    created_at: datetime

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationOut:
        return cls(
            id=reservation.id,
            schedule_id=reservation.schedule_id,
            seats=[ReservedSeatOut(number=s.number, price=s.price) for s in reservation.seats],
            amount=reservation.amount,
            status=reservation.status,
            held_until=reservation.held_until,
            created_at=reservation.created_at,
        )
