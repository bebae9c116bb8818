"""One fan's sale: join, wait, list dates and seats, hold a few, pay, and leave."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum
from time import perf_counter
from typing import Any

from boxoffice_rush import endpoints
from boxoffice_rush.client import HttpClient, Reply, SharedDecodes, json_body
from boxoffice_rush.config import RushConfig
from boxoffice_rush.seats import choose_schedule, free_numbers, pick_seats
from boxoffice_rush.stats import Sale, SalesLedger
from boxoffice_rush.waiting import (
    StreamSwitch,
    WaitResult,
    poll_until_active,
    stream_until_active,
)
from boxoffice_rush.waker import Waker

__all__ = ["FanAccount", "FanOutcome", "SaleContext", "run_fan"]

API = endpoints.API
MAX_JOINS = 2  # a pass that expires while waiting is renewed once by joining again


class FanOutcome(StrEnum):
    PAID = "paid"
    SOLD_OUT = "sold out"  # no seat left when its turn came, or the line closed at sell-out
    GAVE_UP = "gave up"  # lost every seat race it tried
    FAILED = "failed"  # an answer the flow does not expect (see errors by code)
    NOT_STARTED = "not started"  # sold out before its turn to join
    STOPPED = "stopped at the deadline"


@dataclass(frozen=True)
class FanAccount:
    index: int
    headers: dict[str, str]  # Authorization and Content-Type, built once


@dataclass
class SaleContext:
    """What every fan of the sale shares."""

    config: RushConfig
    concert_id: int
    run_id: str
    origin: float
    ledger: SalesLedger
    waker: Waker
    stream: StreamSwitch
    rng: random.Random
    # Free seat numbers by the seat map's ETag: read once per map, not once per fan.
    seat_maps: SharedDecodes = field(default_factory=lambda: SharedDecodes(free_numbers))
    # The join's body: {"concert_id": ...} when the concert has a line of its own (--lines).
    join_body: bytes | None = None


async def run_fan(account: FanAccount, client: HttpClient, sale: SaleContext) -> FanOutcome:
    """Play one fan through the sale and say how it ended."""
    return await _Fan(account, client, sale).run()


class _Fan:
    def __init__(self, account: FanAccount, client: HttpClient, sale: SaleContext) -> None:
        self.account = account
        self.client = client
        self.sale = sale
        self.headers = account.headers
        self.shop = False  # admitted: its requests go on the shop's connections

    async def run(self) -> FanOutcome:
        for _ in range(MAX_JOINS):
            status = await self._join()
            if status is None:
                return FanOutcome.FAILED
            waited = await self._wait(status)
            if waited is not WaitResult.EXPIRED:
                break
        if waited is not WaitResult.ACTIVE:
            await self._leave()
            if waited is not WaitResult.WOKEN:
                return FanOutcome.FAILED
            return FanOutcome.SOLD_OUT if self.sale.ledger.sold_out else FanOutcome.STOPPED
        self.shop = True
        outcome = await self._shop()
        if outcome is not FanOutcome.PAID:
            await self._leave()
        return outcome

    async def _join(self) -> dict[str, Any] | None:
        reply = await self.client.call(
            endpoints.JOIN,
            "POST",
            f"{API}/queue/tokens",
            headers=self.account.headers,
            body=self.sale.join_body,
        )
        if reply.status not in (200, 201) or not isinstance(reply.body, dict):
            return None
        self.headers = {**self.account.headers, "X-Queue-Token": str(reply.body["token"])}
        return reply.body

    async def _wait(self, status: dict[str, Any]) -> WaitResult:
        if status.get("status") == "ACTIVE":
            return WaitResult.ACTIVE
        if self.sale.stream.enabled:
            result = await stream_until_active(self.client, self.headers, self.sale.waker)
            if result is WaitResult.NO_STREAM:
                self.sale.stream.enabled = False
            elif result is not WaitResult.ENDED:
                return result
        return await poll_until_active(self.client, self.headers, status, self.sale.waker)

    async def _shop(self) -> FanOutcome:
        """Pick a date and seats seen available; re-read and re-pick after a lost race."""
        rng = self.sale.rng
        want = rng.randint(1, self.sale.config.max_seats_per_fan)
        schedule_id: int | None = None
        for _ in range(self.sale.config.hold_tries):
            if schedule_id is None:
                schedule_id = await self._choose_date()
                if schedule_id is None:
                    return FanOutcome.SOLD_OUT
                if schedule_id < 0:
                    return FanOutcome.FAILED
            seats = await self._available_seats(schedule_id)
            if seats is None:
                return FanOutcome.FAILED
            if not seats:
                schedule_id = None
                continue
            reply = await self._call(
                endpoints.HOLD,
                "POST",
                f"{API}/reservations",
                headers=self.headers,
                body=json_body(
                    {"schedule_id": schedule_id, "seat_numbers": pick_seats(seats, want, rng)}
                ),
            )
            if reply.status == 201 and isinstance(reply.body, dict):
                return await self._pay(reply.body)
            if (reply.status, reply.code) != (409, "SEAT_UNAVAILABLE"):
                return FanOutcome.FAILED
        return FanOutcome.GAVE_UP

    async def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        body: bytes | None = None,
    ) -> Reply:
        return await self.client.call(
            endpoint, method, path, headers=headers, body=body, shop=self.shop
        )

    async def _choose_date(self) -> int | None:
        """A date with seats left; None when all are sold; -1 when the listing failed."""
        reply = await self._call(
            endpoints.SCHEDULES,
            "GET",
            f"{API}/concerts/{self.sale.concert_id}/schedules",
            headers=self.headers,
        )
        if reply.status != 200 or not isinstance(reply.body, list):
            return -1
        chosen = choose_schedule(reply.body, self.sale.rng)
        return None if chosen is None else int(chosen["id"])

    async def _available_seats(self, schedule_id: int) -> list[int] | None:
        reply = await self.client.call(
            endpoints.SEATS,
            "GET",
            f"{API}/schedules/{schedule_id}/seats",
            headers=self.headers,
            decode=self.sale.seat_maps,
            shop=self.shop,
        )
        if reply.status != 200 or not isinstance(reply.body, list):
            return None
        return reply.body

    async def _pay(self, reservation: dict[str, Any]) -> FanOutcome:
        reservation_id = int(reservation["id"])
        key = f"rush-{self.sale.run_id}-{self.account.index}-{reservation_id}"
        reply = await self._call(
            endpoints.PAY,
            "POST",
            f"{API}/payments",
            headers={**self.headers, "Idempotency-Key": key},
            body=json_body({"reservation_id": reservation_id}),
        )
        if reply.status != 201:
            await self._cancel(reservation_id)
            return FanOutcome.FAILED
        seat_numbers = tuple(int(seat["number"]) for seat in reservation["seats"])
        at = perf_counter() - self.sale.origin
        ledger: SalesLedger = self.sale.ledger
        ledger.record(Sale(at, int(reservation["schedule_id"]), seat_numbers, reservation_id))
        if ledger.sold_out:
            self.sale.waker.wake_all()
        return FanOutcome.PAID

    async def _cancel(self, reservation_id: int) -> None:
        # An unpaid hold would keep its seats from the others until it lapses: give them back.
        await self._call(
            endpoints.CANCEL,
            "POST",
            f"{API}/reservations/{reservation_id}/cancel",
            headers=self.account.headers,
        )

    async def _leave(self) -> None:
        await self._call(
            endpoints.LEAVE, "DELETE", f"{API}/queue/tokens/current", headers=self.headers
        )
