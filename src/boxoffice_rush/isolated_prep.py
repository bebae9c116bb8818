"""The untimed work around the isolated steps: admitting fans, closing admission, holds to pay,
and the clean-up that leaves the room and the seats as the sale expects them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from time import perf_counter

from boxoffice_rush import endpoints
from boxoffice_rush.client import HttpClient, json_body
from boxoffice_rush.config import RushConfig
from boxoffice_rush.fan import FanAccount
from boxoffice_rush.provision import read_room, set_policy
from boxoffice_rush.stats import Recorder
from boxoffice_rush.window import Job, WindowResult, for_each

__all__ = ["PhaseFan", "Preparer"]

API = endpoints.API
ADMIT_FAST = 6_000_000  # admissions a minute while the phase lets its own fans in: no wait
PHASE_TTL_SECONDS = 900  # an admitted pass outlives the whole phase
ADMIT_TIMEOUT_SECONDS = 60.0
ADMISSION_WINDOW_SECONDS = 61.0  # the room estimates waits from the last minute's admissions
BUCKET_REFILL_SECONDS = 6.0  # the admission bucket holds 5 s of the rate: full again after this


@dataclass
class PhaseFan:
    account: FanAccount
    slot: int  # its place in its pool: which seat it holds, which reply is its
    token: str | None = None  # its queue pass while it has one
    active: bool = False
    reservation_id: int | None = None
    paid: bool = False
    # Its join got no clear answer (a dropped connection, a 5xx): it may be in line unknown to
    # us, so the clean-up joins again, which hands back a live pass, and leaves.
    unsure: bool = False

    @property
    def index(self) -> int:
        return self.account.index

    @property
    def headers(self) -> dict[str, str]:
        return self.account.headers

    def pass_headers(self) -> dict[str, str]:
        """The account's headers with the queue pass."""
        return {**self.account.headers, "X-Queue-Token": str(self.token)}


def _int(body: dict[str, object], key: str) -> int:
    return int(str(body.get(key, 0)))


class Preparer:
    """Everything the phase does to the room outside its timed windows, and its undoing."""

    def __init__(
        self, clients: Sequence[HttpClient], config: RushConfig, recorder: Recorder
    ) -> None:
        self.clients = clients
        self.config = config
        self.recorder = recorder
        self.fans: list[PhaseFan] = []  # every fan of the phase: the clean-up looks at each
        self.policy_changed = False
        self.admitted_at: float | None = None
        self.restored_at: float | None = None
        self.ttl = max(config.active_ttl_seconds, PHASE_TTL_SECONDS)

    def track(self, accounts: Sequence[FanAccount]) -> list[PhaseFan]:
        """A pool of fans, numbered from 0 in the order given."""
        fans = [PhaseFan(account, slot) for slot, account in enumerate(accounts)]
        self.fans += fans
        return fans

    async def _each(
        self, fans: Sequence[PhaseFan], work: Callable[[HttpClient, PhaseFan], Awaitable[None]]
    ) -> None:
        await for_each(self.clients, self.config.connections, fans, lambda f: f.index, work)

    async def _policy(self, **changes: int) -> None:
        self.policy_changed = True
        await set_policy(self.clients[0], self.config, active_ttl_seconds=self.ttl, **changes)

    async def admit(self, accounts: Sequence[FanAccount], concert_id: int) -> list[PhaseFan]:
        """These fans join and are let in at once, each pass claimed; those that are not leave."""
        fans = self.track(accounts)
        room = await read_room(self.clients[0], self.config)
        target = _int(room, "active") + len(fans)
        await self._policy(max_active=max(1, target), admit_per_minute=ADMIT_FAST)
        await self._each(fans, self._join)
        deadline = perf_counter() + ADMIT_TIMEOUT_SECONDS
        while perf_counter() < deadline:
            room = await read_room(self.clients[0], self.config)
            if _int(room, "active") >= target or _int(room, "waiting") == 0:
                break
            await asyncio.sleep(0.25)
        self.admitted_at = perf_counter()

        async def claim(client: HttpClient, fan: PhaseFan) -> None:
            # The first use of an admitted pass claims it: it then lives its full TTL.
            path = f"{API}/concerts/{concert_id}/schedules"
            reply = await client.call(endpoints.SCHEDULES, "GET", path, headers=fan.pass_headers())
            fan.active = reply.status == 200

        await self._each([fan for fan in fans if fan.token], claim)
        await self.leave([fan for fan in fans if fan.token and not fan.active])
        return [fan for fan in fans if fan.active]

    async def _join(self, client: HttpClient, fan: PhaseFan) -> None:
        reply = await client.call(
            endpoints.JOIN, "POST", f"{API}/queue/tokens", headers=fan.headers
        )
        if reply.status in (200, 201) and isinstance(reply.body, dict):
            fan.token = str(reply.body["token"])
        fan.unsure = fan.token is None and (reply.status == 0 or reply.status >= 500)

    async def close_admission(self) -> int:
        """Nobody is let in from now on: no free slot, and one admission a minute at most.

        Returns the room's admissions so far, to check later that none happened.
        """
        room = await read_room(self.clients[0], self.config)
        await self._policy(max_active=max(1, _int(room, "active")), admit_per_minute=1)
        return await self.admitted_total()

    async def admitted_total(self) -> int:
        """Fans the room has admitted since it was made."""
        return _int(await read_room(self.clients[0], self.config), "admitted_total")

    @staticmethod
    def record_passes(fans: Sequence[PhaseFan], window: WindowResult) -> list[PhaseFan]:
        """The passes the join step was given; the fans that now wait in line."""
        for job, reply in window.replies:
            fan = fans[job.item]
            if reply.status in (200, 201) and isinstance(reply.body, dict):
                fan.token = str(reply.body["token"])
            fan.unsure = fan.token is None and (reply.status == 0 or reply.status >= 500)
        return [fan for fan in fans if fan.token is not None]

    async def leave(self, fans: Sequence[PhaseFan]) -> None:
        """Each fan gives up its place or its slot (a pass already gone answers 401: fine)."""

        async def leave_one(client: HttpClient, fan: PhaseFan) -> None:
            path = f"{API}/queue/tokens/current"
            await client.call(endpoints.LEAVE, "DELETE", path, headers=fan.pass_headers())
            fan.token = None
            fan.active = False

        await self._each([fan for fan in fans if fan.token is not None], leave_one)

    @staticmethod
    def hold_job(fan: PhaseFan, schedule_id: int) -> Job:
        """One seat, the fan's own: every hold can succeed."""
        body = json_body({"schedule_id": schedule_id, "seat_numbers": [fan.slot + 1]})
        return Job(
            endpoints.HOLD, "POST", f"{API}/reservations", fan.pass_headers(), body, fan.slot
        )

    @staticmethod
    def record_holds(fans: Sequence[PhaseFan], window: WindowResult) -> int:
        """The reservation each successful hold made; how many did."""
        by_slot = {fan.slot: fan for fan in fans}
        made = 0
        for job, reply in window.replies:
            if reply.status == 201 and isinstance(reply.body, dict):
                by_slot[job.item].reservation_id = int(reply.body["id"])
                made += 1
        return made

    async def hold_more(self, fans: Sequence[PhaseFan], schedule_id: int, wanted: int) -> None:
        """Holds for admitted fans the hold step did not reach, until `wanted` fans have one."""

        async def hold(client: HttpClient, fan: PhaseFan) -> None:
            job = self.hold_job(fan, schedule_id)
            reply = await client.call(
                job.endpoint, "POST", job.path, headers=job.headers, body=job.body
            )
            if reply.status == 201 and isinstance(reply.body, dict):
                fan.reservation_id = int(reply.body["id"])

        missing = wanted - sum(1 for fan in fans if fan.reservation_id is not None)
        without = [fan for fan in fans if fan.reservation_id is None and fan.active]
        await self._each(without[: max(0, missing)], hold)

    @staticmethod
    def pay_job(fan: PhaseFan) -> Job:
        """A payment of the fan's hold, with its own idempotency key."""
        headers = {**fan.pass_headers(), "Idempotency-Key": f"rush-alone-{fan.reservation_id}"}
        body = json_body({"reservation_id": fan.reservation_id})
        return Job(endpoints.PAY, "POST", f"{API}/payments", headers, body, fan.slot)

    @staticmethod
    def record_payments(fans: Sequence[PhaseFan], window: WindowResult) -> None:
        """Paid fans: their pass is used up by the payment."""
        by_slot = {fan.slot: fan for fan in fans}
        for job, reply in window.replies:
            if reply.status == 201:
                fan = by_slot[job.item]
                fan.paid, fan.token, fan.active = True, None, False

    async def clean_up(self) -> None:
        """Unpaid holds cancelled, every pass given back, the sale's policy back."""

        async def cancel(client: HttpClient, fan: PhaseFan) -> None:
            path = f"{API}/reservations/{fan.reservation_id}/cancel"
            await client.call(endpoints.CANCEL, "POST", path, headers=fan.headers)
            fan.reservation_id = None

        unpaid = [f for f in self.fans if f.reservation_id is not None and not f.paid]
        await self._each(unpaid, cancel)
        await self._each([fan for fan in self.fans if fan.unsure], self._join)
        await self.leave([fan for fan in self.fans if fan.token is not None])
        if self.policy_changed:
            await set_policy(self.clients[0], self.config)
            self.restored_at = perf_counter()

    def settle_seconds(self) -> float:
        """How long to wait before the sale: the phase's admissions out of the room's window."""
        now = perf_counter()
        until = now
        if self.admitted_at is not None:
            until = max(until, self.admitted_at + ADMISSION_WINDOW_SECONDS)
        if self.restored_at is not None:
            until = max(until, self.restored_at + BUCKET_REFILL_SECONDS)
        return until - now
