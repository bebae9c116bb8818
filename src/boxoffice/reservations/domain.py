"""Reservation rules with no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from boxoffice.catalog.domain import FreeSection


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


def best_seats(
    sections: Sequence[FreeSection], quantity: int, section: str | None = None
) -> tuple[int, ...] | None:
    """The best `quantity` free seats of a date, or None when there are not that many free.

    Where: in `section` if named; else in the dearest section with that many free seats (the
    first listed on a tie); else, when no section alone has them, among all the date's free
    seats. Which: the `quantity` seats whose numbers span least, the lowest such: a run of
    consecutive numbers whenever one exists, nearest the front (seat 1) of all such runs.
    """
    if section is not None:
        pools = [s.free for s in sections if s.name == section]
    else:
        dearest_first = sorted(sections, key=lambda s: -s.price)  # stable: listed order on ties
        pools = [s.free for s in dearest_first if len(s.free) >= quantity]
        pools = pools[:1] or [tuple(sorted(n for s in sections for n in s.free))]
    free = pools[0] if pools else ()
    if quantity < 1 or len(free) < quantity:
        return None
    start = min(range(len(free) - quantity + 1), key=lambda i: free[i + quantity - 1] - free[i])
    return tuple(free[start : start + quantity])
