"""Bounds on numbers that clients send, so nothing overflows a column or a JSON encoder."""

from __future__ import annotations

# The largest integer a JavaScript client can hold exactly; ids and money stay below it.
MAX_SAFE_INTEGER = 2**53 - 1
MAX_SEAT_NUMBER = 100_000
MAX_PRICE = 100_000_000
