"""Reservation request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, Field, StrictInt, field_validator, model_validator

from boxoffice.platform.limits import MAX_SAFE_INTEGER
from boxoffice.reservations.domain import Reservation, ReservationStatus


class HoldRequest(BaseModel):
    """Named seats (`seat_numbers`), or the best `quantity` free seats of the date, in
    `section` if named: exactly one of `seat_numbers` and `quantity`."""

    schedule_id: StrictInt = Field(ge=1, le=MAX_SAFE_INTEGER)
    # Any whole number a JSON client can hold: one that no date has (0, or past
    # MAX_SEAT_NUMBER) answers 422 SEAT_NOT_FOUND as any seat the date does not have (the
    # contract's code for it).
    seat_numbers: (
        list[Annotated[StrictInt, Field(ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER)]] | None
    ) = Field(None, min_length=1, max_length=100)
    quantity: StrictInt | None = Field(
        None, ge=1, le=100, description="How many of the best free seats to hold."
    )
    section: str | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="With `quantity`: the section to hold them in (else the dearest with room).",
    )

    @field_validator("seat_numbers")
    @classmethod
    def _distinct_positive(cls, numbers: list[int] | None) -> list[int] | None:
        if numbers is not None and len(set(numbers)) != len(numbers):
            raise ValueError("each seat number once")
        return numbers

    @model_validator(mode="after")
    def _named_or_counted(self) -> Self:
        if (self.seat_numbers is None) == (self.quantity is None):
            raise ValueError("give exactly one of seat_numbers and quantity")
        if self.section is not None and self.quantity is None:
            raise ValueError("section goes with quantity")
        return self


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
