"""Catalog rules with no I/O: seat state as the facts say, and how a date's seats are priced."""

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
class PriceTier:
    name: str
    seat_count: int
    price: int


_SEAT_STATUSES = {status.value: status for status in SeatStatus}


def seat_status(stored: str, held_until: datetime | None, now: datetime) -> SeatStatus:
    """A hold past its `held_until` frees the seat at once, before any sweeper has run."""
    status = _SEAT_STATUSES.get(stored) or SeatStatus(stored)  # a lookup: once per seat shown
    if status is SeatStatus.HELD and (held_until is None or held_until <= now):
        return SeatStatus.AVAILABLE
    return status


def is_on_sale(starts_at: datetime, now: datetime) -> bool:
    """A date is sold until it starts."""
    return starts_at > now


def number_seats(tiers: Sequence[PriceTier]) -> Iterator[tuple[int, str, int]]:
    """Seats numbered 1..n across the tiers in order: (number, section, price)."""
    number = 0
    for tier in tiers:
        for _ in range(tier.seat_count):
            number += 1
            yield number, tier.name, tier.price
