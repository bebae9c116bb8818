"""One fan's journey through a sale, as the fan sees it: sign up, charge, line, hold, pay.

Every step goes through the ShopClient, which retries failures on the next instance. A step
that cannot complete ends the journey with an outcome naming it; what the fan learned (charged,
paid, refused, or unknown) is kept for the checks, which compare it with what the shop recorded.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.faults.shop_client import Answer, ShopClient

__all__ = ["FanRecord", "Journey", "StepFailed"]

HOLD_TRIES = 10
NOT_ACTIVE = "QUEUE_TOKEN_NOT_ACTIVE"


@dataclass
class FanRecord:
    username: str
    password: str = "password-123"
    wanted: int = 1
    access: str = ""
    queue_token: str = ""
    charged: int = 0
    charge_known: bool = True  # False: a charge the fan never got an answer for
    reservation_id: int | None = None
    seats: list[int] = field(default_factory=list)
    amount: int = 0
    paid: bool | None = None  # True: 201; False: refused; None: no answer (or never tried)
    payment_id: int | None = None
    payment_retried: bool = False  # a payment attempt failed before the final answer
    refusal: str | None = None
    sent_back: int = 0  # told the pass waits in line again, and went back to wait
    outcome: str = "unfinished"

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.access}"}

    @property
    def with_pass(self) -> dict[str, str]:
        return {**self.auth, "x-queue-token": self.queue_token}


class StepFailed(Exception):
    """The journey ends here; `outcome` says where and why."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def _expect(answer: Answer, step: str, *statuses: int) -> Any:
    """The answer's JSON body if its status is one of `statuses`; else the journey ends."""
    if answer.response is None:
        raise StepFailed(f"gave_up:{step}")
    if answer.response.status_code not in statuses:
        raise StepFailed(f"refused:{step}:{answer.response.status_code}:{answer.code}")
    return answer.response.json() if answer.response.content else {}


@dataclass
class Journey:
    shop: ShopClient
    fan: FanRecord
    schedule_id: int
    price: int
    rng: random.Random
    before_paying: Callable[[], Awaitable[None]]
    sign_up_gate: asyncio.Semaphore
    payment_instance: Callable[[], int | None] = lambda: None  # where the first attempt goes

    async def run(self) -> None:
        try:
            async with self.sign_up_gate:
                await self.sign_up()
            await self.charge(self.fan.wanted * self.price)
            await self.join()
            await self.wait_active()
            if not await self.hold():
                self.fan.outcome = "sold_out"
                await self.shop.request(
                    "leave", "DELETE", "/queue/tokens/current", headers=self.fan.with_pass
                )
                return
            await self.before_paying()
            await self.pay()
        except StepFailed as failed:
            self.fan.outcome = failed.outcome

    async def sign_up(self) -> None:
        body = {"username": self.fan.username, "password": self.fan.password}
        created = await self.shop.request("sign_up", "POST", "/users", json=body)
        # A lost answer to a sign-up that went through: the retry finds the name taken.
        if not (created.ambiguous and created.code == "USERNAME_TAKEN"):
            _expect(created, "sign_up", 201)
        token = await self.shop.request("log_in", "POST", "/auth/token", data=body)
        self.fan.access = _expect(token, "log_in", 200)["access_token"]

    async def charge(self, amount: int) -> None:
        headers = {**self.fan.auth, "Idempotency-Key": f"charge-{uuid.uuid4().hex}"}
        answer = await self.shop.request(
            "charge", "POST", "/wallet/charges", json={"amount": amount}, headers=headers
        )
        if answer.response is None:
            self.fan.charge_known = False
        _expect(answer, "charge", 201)
        self.fan.charged += amount

    async def join(self) -> None:
        # Joining again returns the fan's live pass, so a retry keeps the place.
        answer = await self.shop.request("join", "POST", "/queue/tokens", headers=self.fan.auth)
        self.fan.queue_token = _expect(answer, "join", 200, 201)["token"]

    async def wait_active(self) -> None:
        """Poll as the server advises until ACTIVE (the ShopClient honours 429's Retry-After)."""
        while True:
            answer = await self.shop.request(
                "status", "GET", "/queue/status", headers=self.fan.with_pass
            )
            body = _expect(answer, "status", 200)
            if body["status"] == "ACTIVE":
                return
            await asyncio.sleep(float(body["poll_after_seconds"]))

    async def hold(self) -> bool:
        """Hold `wanted` free seats (fewer if fewer are left); False when none are left."""
        tries = 0
        while tries < HOLD_TRIES:
            answer = await self.shop.request(
                "seat_map",
                "GET",
                f"/schedules/{self.schedule_id}/seats",
                headers=self.fan.with_pass,
            )
            if answer.code == NOT_ACTIVE:
                await self._back_in_line()
                continue
            tries += 1
            free = [
                s["number"] for s in _expect(answer, "seat_map", 200) if s["status"] == "AVAILABLE"
            ]
            if not free:
                return False
            chosen = sorted(self.rng.sample(free, min(self.fan.wanted, len(free))))
            body = {"schedule_id": self.schedule_id, "seat_numbers": chosen}
            held = await self.shop.request(
                "hold", "POST", "/reservations", json=body, headers=self.fan.with_pass
            )
            if held.status == 201:
                self._keep(_expect(held, "hold", 201))
                return True
            # A hold is not idempotent: after a lost answer, see whether it went through.
            if held.ambiguous and await self._adopt_held():
                return True
            if held.code == NOT_ACTIVE:
                await self._back_in_line()
                continue
            if held.code != "SEAT_UNAVAILABLE":
                _expect(held, "hold", 201)
            # Taken by someone quicker: look again in a moment, as a person would.
            await asyncio.sleep(self.rng.uniform(0.1, 0.4))
        raise StepFailed("refused:hold:too_many_tries")

    async def _back_in_line(self) -> None:
        """The pass waits in line again (its room's store was lost, and it came back at its
        place): wait to be let in again, as the web client goes back to the queue page."""
        self.fan.sent_back += 1
        await self.wait_active()

    async def _adopt_held(self) -> bool:
        listed = await self.shop.request(
            "reservations", "GET", "/reservations", headers=self.fan.auth
        )
        mine = [r for r in _expect(listed, "reservations", 200) if r["status"] == "HELD"]
        if mine:
            self._keep(mine[0])
        return bool(mine)

    def _keep(self, reservation: dict[str, Any]) -> None:
        self.fan.reservation_id = int(reservation["id"])
        self.fan.seats = [int(s["number"]) for s in reservation["seats"]]
        self.fan.amount = int(reservation["amount"])

    async def pay(self) -> None:
        # One key for every attempt, also after being sent back to the line: a refusal for a
        # pass not active stores nothing, and an earlier attempt that did pay is then replayed.
        headers = {**self.fan.with_pass, "Idempotency-Key": f"pay-{uuid.uuid4().hex}"}
        while True:
            answer = await self.shop.request(
                "pay",
                "POST",
                "/payments",
                json={"reservation_id": self.fan.reservation_id},
                headers=headers,
                instance=self.payment_instance(),
            )
            self.fan.payment_retried = self.fan.payment_retried or answer.attempts > 1
            if answer.code != NOT_ACTIVE:
                break
            await self._back_in_line()
        if answer.response is None:
            raise StepFailed("gave_up:pay")
        if answer.status != 201:
            self.fan.paid = False
            self.fan.refusal = answer.code
            raise StepFailed(f"refused:pay:{answer.status}:{answer.code}")
        self.fan.paid = True
        self.fan.payment_id = int(answer.response.json()["id"])
        self.fan.outcome = "paid"
