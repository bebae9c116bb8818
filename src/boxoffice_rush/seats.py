"""How a fan picks: a date that still has seats, and a few seats it saw available. Pure."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["available_numbers", "choose_schedule", "pick_seats"]


def available_numbers(seats: Sequence[Mapping[str, Any]]) -> list[int]:
    """Numbers of the seats shown AVAILABLE, in the order given (the API orders them by number)."""
    return [int(seat["number"]) for seat in seats if seat.get("status") == "AVAILABLE"]


def choose_schedule(
    schedules: Sequence[Mapping[str, Any]], rng: random.Random
) -> Mapping[str, Any] | None:
    """A date with seats left, drawn in proportion to its available seats; None if none has any."""
    open_dates = [s for s in schedules if int(s.get("available_seats", 0)) > 0]
    if not open_dates:
        return None
    weights = [int(s["available_seats"]) for s in open_dates]
    return rng.choices(open_dates, weights=weights, k=1)[0]


def pick_seats(available: Sequence[int], count: int, rng: random.Random) -> list[int]:
    """`count` seats next to each other in the available list, from a random place in it.

    Fans want seats together, and starting at a random place spreads fans over the hall, so
    two fans rarely race for the same seat; with fewer seats left than wanted, all of them.
    """
    if count < 1:
        raise ValueError("pick at least one seat")
    if len(available) <= count:
        return sorted(available)
    start = rng.randrange(len(available) - count + 1)
    return sorted(available[start : start + count])
