"""Bounds on numbers that clients send, so nothing overflows a column or a JSON encoder."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

# The largest integer a JavaScript client can hold exactly; ids and money stay below it.
MAX_SAFE_INTEGER = 2**53 - 1
MAX_SEAT_NUMBER = 100_000
MAX_PRICE = 100_000_000
# Text a client may have stored: no control character but tab, line feed and carriage return.
# PostgreSQL refuses a NUL that SQLite keeps: the same request would answer 201 on one engine
# and 400 on the other, and a catalogue built on SQLite could not be moved to PostgreSQL.
STORABLE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

# Times a client may name (a concert's date, a sale's opening): a typo such as the year 9999 or
# the year 1 is refused (422), not stored to break every later read that computes with it.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2100, 1, 1, tzinfo=UTC)


def _in_service_range(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    # Compared before converting: converting the year 9999 at -05:00 to UTC would overflow.
    if not EARLIEST_TIME <= aware < LATEST_TIME:
        raise ValueError(
            f"must be from {EARLIEST_TIME:%Y-%m-%d} up to {LATEST_TIME:%Y-%m-%d} (UTC)"
        )
    return aware.astimezone(UTC)


# A datetime from a client, in UTC (no offset means UTC), within the range above.
ClientTime = Annotated[datetime, AfterValidator(_in_service_range)]
