"""The fans of the soak: each signs up, then visits the shop again and again, then makes room
for a new fan.

A visit: check the balance (charge it when low), join the line, wait (polling as told, or on
the event stream), and, once admitted, list the dates and a seat map, hold seats, and then pay
(most), cancel the hold and leave the line, leave with the hold left to expire, or walk away
and let the pass expire. Some paid bookings are cancelled (refunded) on the next visit; some
waiting fans give up and leave the line. Between visits a fan rests, and sometimes reads its
reservations, payments or ledger.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from typing import Any

from scripts.soaking.dates import DateKeeper
from scripts.soaking.shop import API, Reply, Shop

__all__ = ["Crowd", "Mix"]

PASSWORD = "soak-password-123"  # noqa: S105 - the soak's throwaway accounts
HOLD_TRIES = 3


@dataclass(frozen=True)
class Mix:
    """How a visit ends, and the other choices fans make (each a probability)."""

    pay: float = 0.72
    cancel_hold: float = 0.15
    # The rest (2 %) walk away: pass and hold expire on their own. Few, as an abandoned pass
    # keeps its slot in the shop for the pass's whole life (60 s here), twenty visits' time.
    leave_holding: float = 0.11
    refund_booking: float = 0.10
    give_up_waiting: float = 0.03  # per poll of a waiting fan
    stream: float = 0.25  # of waits, while one of the 12 stream connections is free
    read_history: float = 0.30
    visits: tuple[int, int] = (4, 10)  # then the fan makes room for a new one
    rest_seconds: tuple[float, float] = (3.0, 12.0)
    think_seconds: tuple[float, float] = (0.2, 0.8)


class Crowd:
    """`size` fans at every moment, until `stop`."""

    def __init__(
        self, shop: Shop, dates: DateKeeper, size: int, mix: Mix, rng: random.Random
    ) -> None:
        self.shop = shop
        self.dates = dates
        self.size = size
        self.mix = mix
        self.rng = rng
        self.fans_started = 0
        self.visits = 0
        self.paid = 0

    async def run(self, stop: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as group:
            for index in range(self.size):
                group.create_task(self._seat(index, stop))

    async def _seat(self, index: int, stop: asyncio.Event) -> None:
        # Arrivals spread over the first seconds, as a crowd does, not all in one instant.
        await _sleep_unless(stop, index * 0.05)
        while not stop.is_set():
            self.fans_started += 1
            await _Fan(self, f"soak-{uuid.uuid4().hex[:16]}").live(stop)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return


class _Fan:
    def __init__(self, crowd: Crowd, username: str) -> None:
        self.crowd = crowd
        self.shop = crowd.shop
        self.mix = crowd.mix
        self.rng = crowd.rng
        self.username = username
        self.auth: dict[str, str] = {}
        self.with_pass: dict[str, str] = {}
        self.booking_to_refund: int | None = None

    async def live(self, stop: asyncio.Event) -> None:
        if not await self._sign_up():
            await _sleep_unless(stop, 5.0)
            return
        for _ in range(self.rng.randint(*self.mix.visits)):
            if stop.is_set():
                return
            await self._visit(stop)
            self.crowd.visits += 1
            await _sleep_unless(stop, self.rng.uniform(*self.mix.rest_seconds))
            if self.rng.random() < self.mix.read_history:
                await self._read_history()

    async def _sign_up(self) -> bool:
        form = {"username": self.username, "password": PASSWORD}
        created = await self.shop.call("POST /users", "POST", f"{API}/users", json=form)
        if created.status != 201:
            return False
        token = await self.shop.call("POST /auth/token", "POST", f"{API}/auth/token", form=form)
        if token.status != 200:
            return False
        self.auth = {"Authorization": f"Bearer {token.body['access_token']}"}
        return True

    async def _think(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.mix.think_seconds))

    async def _visit(self, stop: asyncio.Event) -> None:
        if self.booking_to_refund is not None:
            await self._cancel(self.booking_to_refund)
            self.booking_to_refund = None
        await self._top_up()
        joined = await self.shop.call(
            "POST /queue/tokens", "POST", f"{API}/queue/tokens", headers=self.auth
        )
        if joined.status not in (200, 201):
            return
        self.with_pass = {**self.auth, "X-Queue-Token": str(joined.body["token"])}
        if not await self._wait(joined.body, stop):
            return
        held = await self._hold()
        if held is None:
            await self._leave()
            return
        await self._think()
        await self._end_visit(held)

    async def _top_up(self) -> None:
        wallet = await self.shop.call("GET /wallet", "GET", f"{API}/wallet", headers=self.auth)
        if wallet.status != 200 or wallet.body["balance"] >= 4 * self.crowd.dates.price:
            return
        headers = {**self.auth, "Idempotency-Key": f"soak-charge-{uuid.uuid4().hex}"}
        amount = 20 * self.crowd.dates.price
        await self.shop.call(
            "POST /wallet/charges",
            "POST",
            f"{API}/wallet/charges",
            headers=headers,
            json={"amount": amount},
        )

    async def _wait(self, status: dict[str, Any], stop: asyncio.Event) -> bool:
        """Until the pass is ACTIVE (True); False when the fan gave up or the pass is gone."""
        if status["status"] == "ACTIVE":
            return True
        if self.rng.random() < self.mix.stream and not self.shop.stream_slots.locked():
            async with self.shop.stream_slots:
                if await self.shop.stream_until_active(self.with_pass) == "ACTIVE":
                    return True
        while status["status"] != "ACTIVE":
            # As told, a little later rather than sooner (a poll sooner is refused with 429).
            pause = float(status["poll_after_seconds"]) * self.rng.uniform(1.0, 1.2)
            await _sleep_unless(stop, pause)
            if stop.is_set() or self.rng.random() < self.mix.give_up_waiting:
                await self._leave()
                return False
            polled = await self.shop.call(
                "GET /queue/status", "GET", f"{API}/queue/status", headers=self.with_pass
            )
            if polled.status != 200:
                return False
            status = polled.body
        return True

    async def _hold(self) -> dict[str, Any] | None:
        """Hold one to four seats seen free on an open date; None if none could be held."""
        for _ in range(HOLD_TRIES):
            schedule_id = await self._choose_date()
            if schedule_id is None:
                return None
            await self._think()
            free = await self._free_seats(schedule_id)
            if not free:
                continue
            wanted = min(len(free), self.rng.randint(1, 4))
            chosen = sorted(self.rng.sample(free, wanted))
            body = {"schedule_id": schedule_id, "seat_numbers": chosen}
            held = await self.shop.call(
                "POST /reservations",
                "POST",
                f"{API}/reservations",
                headers=self.with_pass,
                json=body,
            )
            if held.status == 201:
                return dict(held.body)
            if held.code == "HOLD_LIMIT_EXCEEDED":
                # Seats this fan held on an earlier visit and left: let them go first.
                await self._cancel_holds()
        return None

    async def _cancel_holds(self) -> None:
        listed = await self.shop.call(
            "GET /reservations", "GET", f"{API}/reservations", headers=self.auth
        )
        if listed.status == 200:
            for reservation in listed.body:
                if reservation["status"] == "HELD":
                    await self._cancel(int(reservation["id"]))

    async def _choose_date(self) -> int | None:
        path = f"{API}/concerts/{self.crowd.dates.concert_id}/schedules"
        listed = await self.shop.call(
            "GET /concerts/{id}/schedules", "GET", path, headers=self.with_pass
        )
        if listed.status != 200 or not listed.body:
            return None
        self.crowd.dates.listed(listed.body)
        open_dates = [s for s in listed.body if s["available_seats"] > 0]
        if not open_dates:
            return None
        # Mostly the first open date, so dates sell out in turn and the listing stays short.
        chosen = open_dates[0] if self.rng.random() < 0.7 else self.rng.choice(open_dates)
        return int(chosen["id"])

    async def _free_seats(self, schedule_id: int) -> list[int]:
        seats = await self.shop.call(
            "GET /schedules/{id}/seats",
            "GET",
            f"{API}/schedules/{schedule_id}/seats",
            headers=self.with_pass,
        )
        if seats.status != 200:
            return []
        return [s["number"] for s in seats.body if s["status"] == "AVAILABLE"]

    async def _end_visit(self, held: dict[str, Any]) -> None:
        roll = self.rng.random()
        mix = self.mix
        if roll < mix.pay:
            if await self._pay(int(held["id"])) and self.rng.random() < mix.refund_booking:
                self.booking_to_refund = int(held["id"])
        elif roll < mix.pay + mix.cancel_hold:
            await self._cancel(int(held["id"]))
            await self._leave()
        elif roll < mix.pay + mix.cancel_hold + mix.leave_holding:
            await self._leave()
        # else: walks away; the pass and the hold expire on their own.

    async def _pay(self, reservation_id: int) -> bool:
        headers = {**self.with_pass, "Idempotency-Key": f"soak-pay-{uuid.uuid4().hex}"}
        paid = await self.shop.call(
            "POST /payments",
            "POST",
            f"{API}/payments",
            headers=headers,
            json={"reservation_id": reservation_id},
        )
        if paid.status == 201:
            self.crowd.paid += 1
            return True
        await self._leave()
        return False

    async def _cancel(self, reservation_id: int) -> Reply:
        return await self.shop.call(
            "POST /reservations/{id}/cancel",
            "POST",
            f"{API}/reservations/{reservation_id}/cancel",
            headers=self.auth,
        )

    async def _leave(self) -> None:
        await self.shop.call(
            "DELETE /queue/tokens/current",
            "DELETE",
            f"{API}/queue/tokens/current",
            headers=self.with_pass,
        )

    async def _read_history(self) -> None:
        path = self.rng.choice(["/reservations", "/payments", "/wallet/transactions"])
        await self.shop.call(f"GET {path}", "GET", f"{API}{path}", headers=self.auth)
