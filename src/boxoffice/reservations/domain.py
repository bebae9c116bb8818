"""Reservation rules with no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class HoldOutcome(StrEnum):
    """How an attempt to hold seats ended; only HELD wrote anything the caller may commit."""

    HELD = "HELD"
    OVER_LIMIT = "OVER_LIMIT"  # the fan would hold more seats at once than allowed
    SHORT = "SHORT"  # a seat asked for is taken, or is not on this date


class ReservationStatus(StrEnum):
    HELD = "HELD"
    CONFIRMED = "CONFIRMED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class ReservedSeat:
    number: int
    price: int


@dataclass(frozen=True, slots=True)
class TakenSeat:
    """A seat row a hold took (or, on a shortfall, found free)."""

    id: int
    number: int
    price: int


@dataclass(frozen=True, slots=True)
class Reservation:
    id: int
    user_id: int
    schedule_id: int
    seats: tuple[ReservedSeat, ...]
    amount: int
    status: ReservationStatus
    held_until: datetime
    created_at: datetime


def effective_status(stored: str, held_until: datetime, now: datetime) -> ReservationStatus:
    """A hold past its `held_until` is expired, whether or not the sweeper has marked it yet."""
    status = ReservationStatus(stored)
    if status is ReservationStatus.HELD and held_until <= now:
        return ReservationStatus.EXPIRED
    return status


def total_amount(seats: Sequence[ReservedSeat]) -> int:
    """What the reservation costs: the sum of its seats' prices."""
    return sum(seat.price for seat in seats)


def within_hold_limit(already_held: int, requested: int, limit: int) -> bool:
    """A fan may hold at most `limit` seats at once, across their reservations."""
    return already_held + requested <= limit
