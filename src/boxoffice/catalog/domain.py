"""Catalog rules with no I/O: when a date is on sale, how its seats are numbered and priced."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SeatStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    HELD = "HELD"
    SOLD = "SOLD"


@dataclass(frozen=True, slots=True)
class Concert:
    id: int
    title: str
    venue: str
    description: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Schedule:
    id: int
    concert_id: int
    starts_at: datetime
    total_seats: int
    available_seats: int


@dataclass(frozen=True, slots=True)
class Seat:
    id: int
    number: int
    section: str
    price: int
    status: SeatStatus


@dataclass(frozen=True, slots=True)
class FreeSection:
    """A section of a date (the seats of its price tiers of one name): what its dearest seat
    costs, and the numbers of its seats free now, ascending."""

    name: str
    price: int
    free: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PriceTier:
    name: str
    seat_count: int
    price: int


def is_on_sale(starts_at: datetime, now: datetime) -> bool:
    """A date is sold until it starts."""
    return starts_at > now


def number_seats(tiers: Sequence[PriceTier]) -> Iterator[tuple[int, int, str, int]]:
    """Seats numbered 1..n across the tiers in order, each tier's a run of numbers: (first,
    last, section, price) a tier that has seats."""
    last = 0
    for tier in tiers:
        if tier.seat_count > 0:
            yield last + 1, last + tier.seat_count, tier.name, tier.price
            last += tier.seat_count
