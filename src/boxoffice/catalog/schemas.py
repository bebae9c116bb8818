"""Catalog request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, Field, StrictInt, model_validator

from boxoffice.catalog.domain import PriceTier, SeatStatus
from boxoffice.platform.limits import MAX_PRICE, STORABLE_TEXT, ClientTime
from boxoffice.platform.limits import MAX_SEAT_NUMBER as MAX_SEATS_PER_DATE


class ConcertCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200, pattern=STORABLE_TEXT)
    venue: str = Field("", max_length=200, pattern=STORABLE_TEXT)
    description: str = Field("", max_length=5000, pattern=STORABLE_TEXT)


class ConcertOut(BaseModel):
    id: int
    title: str
    venue: str
    description: str
    created_at: datetime


class PriceTierIn(BaseModel):
    name: str = Field(min_length=1, max_length=50, pattern=STORABLE_TEXT)
    seat_count: StrictInt = Field(ge=1, le=MAX_SEATS_PER_DATE)
    price: StrictInt = Field(ge=0, le=MAX_PRICE)


class ScheduleCreate(BaseModel):
    """A date: `seat_count` seats at one `price`, or `price_tiers` numbered in order."""

    starts_at: ClientTime
    seat_count: StrictInt | None = Field(None, ge=1, le=MAX_SEATS_PER_DATE)
    price: StrictInt | None = Field(None, ge=0, le=MAX_PRICE)
    price_tiers: list[PriceTierIn] | None = Field(None, min_length=1, max_length=50)

    @model_validator(mode="after")
    def _seats_given_once(self) -> Self:
        if self.price_tiers is None:
            if self.seat_count is None or self.price is None:
                raise ValueError("give seat_count and price, or price_tiers")
            return self
        if self.price is not None:
            raise ValueError("give either price or price_tiers, not both")
        total = sum(t.seat_count for t in self.price_tiers)
        if total > MAX_SEATS_PER_DATE:
            raise ValueError(f"a date has at most {MAX_SEATS_PER_DATE} seats")
        if self.seat_count is not None and self.seat_count != total:
            raise ValueError("seat_count must equal the sum of the tiers' seat_count")
        return self

    def tiers(self) -> list[PriceTier]:
        if self.price_tiers is not None:
            return [PriceTier(t.name, t.seat_count, t.price) for t in self.price_tiers]
        assert self.seat_count is not None
        assert self.price is not None
        return [PriceTier("General", self.seat_count, self.price)]


class ScheduleOut(BaseModel):
    id: int
    concert_id: int
    starts_at: datetime
    total_seats: int
    available_seats: int


class SeatOut(BaseModel):
    id: int
    number: int
    price: int
    status: SeatStatus
    section: str
