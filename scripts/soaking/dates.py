"""The concert's dates, kept selling: a new date whenever the open ones run low on seats.

Fans report each date listing they read; the keeper adds a date (through the admin API) when the
seats left on the listed dates fall under half a date, so the load stays the same from the first
minute to the last instead of ending in a sold-out shop.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from scripts.soaking.shop import API, Shop

__all__ = ["DateKeeper"]

CHECK_SECONDS = 1.0
MIN_SECONDS_BETWEEN_DATES = 4.0


class DateKeeper:
    def __init__(self, shop: Shop, admin_key: str, seats_per_date: int, price: int) -> None:
        self.shop = shop
        self.seats_per_date = seats_per_date
        self.price = price
        self.concert_id = 0
        self.dates_added = 0
        self._admin = {"X-Admin-Key": admin_key}
        self._seats_left: int | None = None  # on the dates of the last listing a fan read
        self._added_at = 0.0
        self._first_date = datetime.now(UTC) + timedelta(days=60)

    async def open(self, dates: int) -> None:
        """Create the concert and its first dates."""
        reply = await self.shop.call(
            "POST /admin/concerts",
            "POST",
            f"{API}/admin/concerts",
            headers=self._admin,
            json={"title": "Soak", "venue": "Loopback Hall"},
        )
        if reply.status != 201:
            raise RuntimeError(f"creating the concert answered {reply.status} {reply.code}")
        self.concert_id = int(reply.body["id"])
        for _ in range(dates):
            await self._add()

    def listed(self, schedules: list[dict[str, Any]]) -> None:
        """A fan read the open dates: what is left on them."""
        self._seats_left = sum(int(s["available_seats"]) for s in schedules)

    async def keep(self, stop: asyncio.Event) -> None:
        """Add a date whenever the listed ones run low, until `stop`."""
        while not stop.is_set():
            low = self._seats_left is not None and self._seats_left < self.seats_per_date // 2
            if low and time.monotonic() - self._added_at > MIN_SECONDS_BETWEEN_DATES:
                await self._add()
            try:
                await asyncio.wait_for(stop.wait(), CHECK_SECONDS)
            except TimeoutError:
                continue

    async def _add(self) -> None:
        starts_at = self._first_date + timedelta(hours=self.dates_added)
        reply = await self.shop.call(
            "POST /admin/concerts/{id}/schedules",
            "POST",
            f"{API}/admin/concerts/{self.concert_id}/schedules",
            headers=self._admin,
            json={
                "starts_at": starts_at.isoformat(),
                "seat_count": self.seats_per_date,
                "price": self.price,
            },
        )
        if reply.status == 201:
            self.dates_added += 1
            self._added_at = time.monotonic()
            self._seats_left = None  # until a fan lists the dates again
