"""A bounded sale every fault scenario plays: F fans buy 1-2 seats each of a date with S seats.

The sale always ends: each request has bounded retries and the whole sale a deadline. A scenario
injects its fault while `run()` is in flight, e.g.:

    sale = Sale(instances.base_urls, instances.admin_key, SaleConfig(fans=200), "my_fault")
    async with sale.in_background() as running:
        await sale.wait_paying(at_least=20)  # or any other moment
        instances.kill(0)
        sale.report.mark("killed")
        report = await running

With `hold_payments=True` every fan waits, holding seats, until `release_payments()`, so a
scenario can strike while a known burst of payments is in flight (the waiting room must then
admit every fan at once: `queue_max_active` at least `fans`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.faults.journey import FanRecord, Journey
from tests.faults.sale_report import SaleReport
from tests.faults.shop_client import ShopClient

__all__ = ["Sale", "SaleConfig"]


@dataclass(frozen=True)
class SaleConfig:
    fans: int = 200
    seats: int = 250
    price: int = 10_000
    most_seats: int = 2  # each fan wants 1..most_seats
    deadline_seconds: float = 150.0  # the whole sale; retries stop past it
    request_timeout: float = 10.0  # longer than the servers' own deadline, so theirs answers
    max_attempts: int = 8
    max_in_flight: int = 32  # requests at once, over all fans
    signup_concurrency: int = 24  # argon2 on two cores: a few dozen at a time
    seed: int = 20261126
    hold_payments: bool = False
    payment_instance: int | None = None  # every payment's FIRST attempt goes here


class Sale:
    def __init__(
        self, base_urls: list[str], admin_key: str, config: SaleConfig, scenario: str
    ) -> None:
        self.config = config
        self.admin_key = admin_key
        self.report = SaleReport(scenario, config.fans, config.seats, len(base_urls))
        self.shop = ShopClient(
            base_urls,
            self.report,
            timeout=config.request_timeout,
            max_attempts=config.max_attempts,
            max_in_flight=config.max_in_flight,
        )
        prefix = uuid.uuid4().hex[:6]
        rng = random.Random(config.seed)
        self.fans = [
            FanRecord(f"f{prefix}-{i}", wanted=rng.randint(1, config.most_seats))
            for i in range(config.fans)
        ]
        self.schedule_id = 0
        # Where each payment's first attempt goes; a scenario may unpin it (None) mid-sale.
        self.payment_instance = config.payment_instance
        self.waiting_to_pay = 0  # fans at the gate, holding seats
        self.paying = 0  # fans whose payment request is under way
        self.finished = 0
        self._payments_open = asyncio.Event()
        if not config.hold_payments:
            self._payments_open.set()
        self._signups = asyncio.Semaphore(config.signup_concurrency)

    async def run(self) -> SaleReport:
        """Create the date, play every fan's journey, and return the report."""
        self.report.start_clock()
        self.shop.deadline = time.monotonic() + self.config.deadline_seconds
        try:
            self.schedule_id = await self._create_date()
            await asyncio.gather(*(self._journey(i, fan) for i, fan in enumerate(self.fans)))
        finally:
            await self.shop.aclose()
            self.report.duration_seconds = round(self.report.now(), 3)
            self.report.outcomes.update(fan.outcome for fan in self.fans)
        return self.report

    @contextlib.asynccontextmanager
    async def in_background(self) -> AsyncIterator[asyncio.Task[SaleReport]]:
        """`run()` as a task; a scenario that fails midway cancels it on the way out."""
        task = asyncio.create_task(self.run())
        try:
            yield task
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def release_payments(self) -> None:
        self.report.mark("payments_released")
        self._payments_open.set()

    async def wait_everyone_ready_to_pay(self, within: float = 120.0) -> None:
        """Until every fan waits at the payment gate or has finished (sold out, failed)."""
        await self._until(lambda: self.waiting_to_pay + self.finished >= len(self.fans), within)

    async def wait_paying(self, at_least: int, within: float = 60.0) -> None:
        """Until at least `at_least` payment requests are under way."""
        await self._until(lambda: self.paying >= at_least, within)

    async def _until(self, condition: Callable[[], bool], within: float) -> None:
        deadline = time.monotonic() + within
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the sale did not get there within {within} s: {self.waiting_to_pay} fans"
                    f" wait to pay, {self.paying} pay, {self.finished} finished"
                )
            await asyncio.sleep(0.02)

    async def _journey(self, index: int, fan: FanRecord) -> None:
        journey = Journey(
            self.shop,
            fan,
            self.schedule_id,
            self.config.price,
            random.Random(self.config.seed + index),
            self._before_paying,
            self._signups,
            lambda: self.payment_instance,
        )
        try:
            await journey.run()
        finally:
            self.finished += 1

    async def _before_paying(self) -> None:
        self.waiting_to_pay += 1
        await self._payments_open.wait()
        self.waiting_to_pay -= 1
        self.paying += 1

    async def _create_date(self) -> int:
        headers = {"x-admin-key": self.admin_key}
        concert = await self.shop.request(
            "admin", "POST", "/admin/concerts", json={"title": "Fault night"}, headers=headers
        )
        assert concert.response is not None, concert
        assert concert.status == 201, concert.response.text
        starts_at = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        body = {"starts_at": starts_at, "seat_count": self.config.seats, "price": self.config.price}
        concert_id = concert.response.json()["id"]
        schedule = await self.shop.request(
            "admin", "POST", f"/admin/concerts/{concert_id}/schedules", json=body, headers=headers
        )
        assert schedule.response is not None, schedule
        assert schedule.status == 201, schedule.response.text
        return int(schedule.response.json()["id"])
