"""How a fan picks: a date that still has seats, and a few seats it saw available. Pure."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

__all__ = ["available_numbers", "choose_schedule", "free_numbers", "pick_seats"]

# How the server writes a seat (compact JSON; id, number, section, price, status), which
# `free_numbers` reads before it parses a map whole.
_NUMBER = b'"number":'
_SHOWN_AVAILABLE = b'"status":"AVAILABLE"'
_AVAILABLE = b'"AVAILABLE"'


def available_numbers(seats: Sequence[Mapping[str, Any]]) -> list[int]:
    """Numbers of the seats shown AVAILABLE, in the order given (the API orders them by number)."""
    return [int(seat["number"]) for seat in seats if seat.get("status") == "AVAILABLE"]


def free_numbers(raw: bytes) -> list[int] | None:
    """`available_numbers` of a seat map's JSON body; None if it is not a JSON list.

    A fan reads a whole map of thousands of seats to pick two, and the load generator shares
    the machine's cores with the servers it measures: parsed whole, a map of 5,000 seats costs
    it about 1.7 ms, read as the server writes it about 1 ms. That reading is kept only when
    it accounts for every "AVAILABLE" in the body, each after a number in its own object: a
    map of flat seats written otherwise (with spaces, its fields in another order) is parsed
    whole, so the answer is `available_numbers`' either way.
    """
    if raw[:1] == b"[" and raw[-1:] == b"]":
        found = _numbers_shown_available(raw)
        if found is not None:
            return found
    try:
        seats = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return available_numbers(seats) if isinstance(seats, list) else None


def _numbers_shown_available(raw: bytes) -> list[int] | None:
    """The number before each `"status":"AVAILABLE"` in the same object, if the body is written
    as the server writes it; None when it is not (the caller then parses it whole)."""
    before = raw.split(_SHOWN_AVAILABLE)
    if len(before) - 1 != raw.count(_AVAILABLE):
        return None  # "AVAILABLE" somewhere else too, or written with spaces
    numbers = []
    for seat in before[:-1]:
        at = seat.rfind(_NUMBER)
        if at < 0 or at < seat.rfind(b"{"):
            return None  # this object has no number before its status
        start = at + len(_NUMBER)
        end = seat.find(b",", start)
        digits = seat[start:end]
        if end < 0 or not digits.isdigit():
            return None
        numbers.append(int(digits))
    return numbers


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
