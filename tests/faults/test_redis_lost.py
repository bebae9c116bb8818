"""Sale day: the waiting room's Redis is lost entirely mid-sale (a new, empty server), and the
line is not lost with it.

A pass carries, signed, when it joined and its place. While hundreds of fans wait, some have
left and some have paid, Redis is killed and comes back empty. The fans keep polling in their
own time, in whatever order their polls fall: each waiting fan's next poll answers 200 WAITING,
the pass back at its own place, and the positions fans are told are those of the line as it
stood. Admission waits QUEUE_RECOVERY_SECONDS from the first pass back, then lets fans in in
join order: nobody is admitted before a fan who joined earlier and was back in line by then. A
pass given up or paid with answers 401 QUEUE_TOKEN_EXPIRED, at the loss and after; one used up
after coming back does not come back a second time. Fans who join after the loss stand behind
all of them. A pass that was ACTIVE at the loss comes back WAITING at its place (the head of
the line): its fan, told so at the next step (403 QUEUE_TOKEN_NOT_ACTIVE), waits again and is
let in among the first. The sale then completes, clean.

Fans poll as told, up to 60 s apart (domain.MAX_POLL_SECONDS), so how many are back before the
pause ends depends on its length. The fast variant pauses 5 s: fans still away then are passed
by those present (counted, not a failure). The slow variant pauses longer than any poll
interval, as production does (70 s): every fan is back before anyone is let in, so nobody at
all is admitted before a fan who joined earlier.

What fans were told comes from their own answers (the ShopClient's watcher). When each pass came
back and was admitted, and the line itself, come from the new Redis, read every tenth of a
second (admissions stay a minute in its window, so none goes unseen); each place, from the
passes' tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from redis import asyncio as redis_asyncio
from redis.exceptions import RedisError

from boxoffice.waiting_room.domain import MAX_POLL_SECONDS
from tests.faults.checks import assert_sale_clean
from tests.faults.conftest import MakeInstances
from tests.faults.journey import FanRecord, Journey
from tests.faults.own_postgres import OwnPostgres
from tests.faults.own_redis import OwnRedis
from tests.faults.sale import Sale, SaleConfig
from tests.faults.shop_client import API, ShopClient

LEAVERS = 20
LATECOMERS = 12
PAID_BEFORE_LOSS = 20
LEFT_FROM_RANK = 40  # leavers are taken from the middle of the line, not its head

Poll = tuple[float, float, int, dict[str, Any]]  # sent, received (wall clock), status, body


@dataclass(frozen=True)
class Variant:
    name: str
    fans: int
    max_active: int  # few at a time, so that hundreds wait
    recovery_seconds: float
    waiting_at_least: int
    everyone_back_first: bool  # the pause outlasts every poll interval

    @property
    def seats(self) -> int:
        return 2 * self.fans  # more than fans want (1 or 2 each): every fan who stays pays


FAST = Variant("redis_lost", 180, 12, 5.0, 60, everyone_back_first=False)
SLOW = Variant("redis_lost_long_pause", 360, 12, MAX_POLL_SECONDS + 5, 200, True)


def _place(token: str) -> tuple[str, int]:
    """The pass id and place a pass carries (signed by the service; the test only reads)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return str(claims["pid"]), int(claims["plc"])


@dataclass
class Told:
    """Every answer to a status poll, per pass id."""

    polls: dict[str, list[Poll]] = field(default_factory=lambda: defaultdict(list))

    def __call__(self, kind: str, response: httpx.Response) -> None:
        if kind != "status":
            return
        received = time.time()
        pass_id = _place(response.request.headers["x-queue-token"])[0]
        body = response.json() if response.content else {}
        sent = received - response.elapsed.total_seconds()
        self.polls[pass_id].append((sent, received, response.status_code, body))


@dataclass(frozen=True)
class LineSeen:
    """The line (pass id -> place) as read between `started` and `done`."""

    started: float
    done: float
    places: dict[str, float]

    def ahead_of(self, pass_id: str, place: float) -> int:
        return sum(other < place for other in self.places.values())


@dataclass
class RoomWatch:
    """The room in Redis, read every tenth of a second once it is lost: who came back when,
    who was admitted when, and the line, until the first admission."""

    redis_url: str
    room: str
    admitted: dict[str, float] = field(default_factory=dict)
    back_at: dict[str, float] = field(default_factory=dict)
    back_place: dict[str, float] = field(default_factory=dict)
    recovering_until: float | None = None
    lines: list[LineSeen] = field(default_factory=list)

    def key(self, name: str) -> str:
        return f"bx:{{{self.room}}}:{name}"

    async def line_and_active(self) -> tuple[dict[str, float], list[str]]:
        client = redis_asyncio.Redis.from_url(self.redis_url, decode_responses=True)
        try:
            async with client.pipeline(transaction=True) as pipe:
                pipe.zrange(self.key("line"), 0, -1, withscores=True)
                pipe.zrange(self.key("active"), 0, -1)
                line, active = await pipe.execute()
        finally:
            await client.aclose()
        return dict(line), list(active)

    async def follow(self, stop: asyncio.Event) -> None:
        client = redis_asyncio.Redis.from_url(
            self.redis_url, decode_responses=True, socket_timeout=2
        )
        try:
            while True:
                last = stop.is_set()
                with contextlib.suppress(RedisError, OSError):  # the server is coming back
                    await self._read(client)
                if last:
                    return
                await asyncio.sleep(0.1)
        finally:
            await client.aclose()

    async def _read(self, client: redis_asyncio.Redis) -> None:
        started = time.time()
        async with client.pipeline(transaction=True) as pipe:
            pipe.zrange(self.key("admissions"), 0, -1, withscores=True)
            pipe.smembers(self.key("restored"))
            pipe.hget(self.key("policy"), "recovering_until")
            pipe.zrange(self.key("line"), 0, -1, withscores=True)
            admissions, restored, recovering, line = await pipe.execute()
        done = time.time()
        places = dict(line)
        for pass_id in set(restored) - set(self.back_at):
            self.back_at[pass_id] = done
            # Its score in line; once admitted, the place its record keeps.
            place = places.get(pass_id) or await client.hget(self.key(f"pass:{pass_id}"), "place")
            self.back_place[pass_id] = float(place or -1)
        for pass_id, at in admissions:
            self.admitted.setdefault(pass_id, float(at))
        if recovering is not None:
            self.recovering_until = float(recovering)
        if not self.admitted:
            self.lines.append(LineSeen(started, done, places))


async def _until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.05)


def _passed_by(
    admitted: dict[str, float], places: dict[str, int], back_at: dict[str, float] | None
) -> list[str]:
    """Passes admitted before one that joined earlier (and, with `back_at`, was back in line
    by then: a pass never lost, a latecomer's, is in line from its join)."""
    found = []
    for later, later_at in admitted.items():
        for earlier, earlier_at in admitted.items():
            joined_earlier = places[earlier] < places[later]
            in_line = back_at is None or back_at.get(earlier, 0.0) <= later_at
            if joined_earlier and in_line and later_at < earlier_at:
                found.append(
                    f"{later} (place {places[later]}) admitted at {later_at:.3f} before"
                    f" {earlier} (place {places[earlier]}, admitted at {earlier_at:.3f})"
                )
    return found


def _positions_told(
    polls: dict[str, list[Poll]], lines: list[LineSeen], places: dict[str, int], until: float
) -> tuple[list[str], int, int]:
    """Each WAITING position told before `until` (the first admission) against the line read
    just before it was asked and just after it was answered: before any admission the line
    only grows (passes coming back, fans joining), so the position told lies between the two,
    and once everyone is back the two agree. (wrong answers, answers checked, of them exact)"""
    wrong: list[str] = []
    checked = exact = 0
    for pass_id, answers in polls.items():
        for sent, received, status, body in answers:
            if status != 200 or body["status"] != "WAITING" or received >= until:
                continue
            before = [seen for seen in lines if seen.done < sent]
            after = [seen for seen in lines if seen.started > received]
            if not before or not after:
                continue
            place = places[pass_id]
            low = 1 + before[-1].ahead_of(pass_id, place)
            high = 1 + after[0].ahead_of(pass_id, place)
            checked += 1
            exact += low == high
            if not low <= body["position"] <= high:
                wrong.append(f"{pass_id}: told {body['position']}, line says {low}..{high}")
    return wrong, checked, exact


async def _statuses(base_urls: list[str], fans: list[FanRecord]) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=30) as client:
        return [
            await client.get(f"{base_urls[i % 2]}{API}/queue/status", headers=fan.with_pass)
            for i, fan in enumerate(fans)
        ]


def _latecomers(sale: Sale, shop: ShopClient) -> tuple[list[FanRecord], list[Journey]]:
    """Fans who join only after the loss, on a client of their own that reports to the sale's
    report (the sale closes its own when its fans are done)."""
    prefix = random.randbytes(3).hex()
    fans = [FanRecord(f"late-{prefix}-{i}", wanted=1) for i in range(LATECOMERS)]

    async def pay_at_once() -> None:
        return None

    gate = asyncio.Semaphore(4)
    journeys = [
        Journey(shop, fan, sale.schedule_id, sale.config.price, random.Random(i), pay_at_once, gate)
        for i, fan in enumerate(fans)
    ]
    return fans, journeys


async def _lose_redis_mid_sale(
    variant: Variant,
    make_instances: MakeInstances,
    own_postgres: OwnPostgres,
    own_redis: OwnRedis,
) -> None:
    instances = make_instances(
        2, queue_max_active=variant.max_active, queue_recovery_seconds=variant.recovery_seconds
    )
    config = SaleConfig(variant.fans, variant.seats)
    sale = Sale(instances.base_urls, instances.admin_key, config, variant.name)
    report = sale.report
    told = Told()
    sale.shop.watchers.append(told)
    watch = RoomWatch(own_redis.url, instances.env["BOXOFFICE_QUEUE_ROOM"])
    stop_watching = asyncio.Event()
    late_shop = ShopClient(instances.base_urls, report, max_in_flight=8)
    late_shop.watchers.append(told)

    async with sale.in_background() as running:
        await _until(
            lambda: (
                all(f.queue_token for f in sale.fans)
                and sum(f.paid is True for f in sale.fans) >= PAID_BEFORE_LOSS
            ),
            90,
            "every fan in line and some paid",
        )
        by_pass = {_place(f.queue_token)[0]: f for f in sale.fans}
        line, _ = await watch.line_and_active()
        leavers = [by_pass[p] for p in list(line)[LEFT_FROM_RANK : LEFT_FROM_RANK + LEAVERS]]
        async with httpx.AsyncClient(timeout=30) as client:
            for fan in leavers:
                left = await client.delete(
                    f"{instances.base_urls[0]}{API}/queue/tokens/current", headers=fan.with_pass
                )
                assert left.status_code == 204, left.text

        waiting, active = await watch.line_and_active()
        await asyncio.to_thread(own_redis.restart, keep_data=False, kill=True)
        lost_at = time.time()
        report.mark("redis_lost")
        follower = asyncio.create_task(watch.follow(stop_watching))
        late_shop.deadline = sale.shop.deadline
        late, late_journeys = _latecomers(sale, late_shop)
        latecomers = asyncio.gather(*(journey.run() for journey in late_journeys))
        paid_before = [f for f in sale.fans if f.paid is True]
        # Given up, and used up: not back now, while the others come back.
        gone = [*leavers, *random.Random(7).sample(paid_before, 10)]
        gone_at_loss = await _statuses(instances.base_urls, gone)

        await latecomers
        await late_shop.aclose()
        await running
        stop_watching.set()
        await follower
    gone_after = await _statuses(instances.base_urls, gone)
    sale.fans.extend(late)
    report.outcomes.update(f.outcome for f in late)

    left_ids = {_place(f.queue_token)[0] for f in leavers}
    paid_ids = {_place(f.queue_token)[0] for f in paid_before}
    lost_line = [p for p in waiting if p not in left_ids | paid_ids]
    places = {pass_id: place for pass_id, place in map(_place, (f.queue_token for f in sale.fans))}
    first_admitted = min(watch.admitted.values())
    after_loss = {p: [a for a in answers if a[0] > lost_at] for p, answers in told.polls.items()}
    last_back = max(watch.back_at.get(p, float("inf")) for p in lost_line)
    passed_while_away = _passed_by(watch.admitted, places, None)
    wrong_positions, positions_checked, positions_exact = _positions_told(
        {p: after_loss.get(p, []) for p in lost_line}, watch.lines, places, first_admitted
    )
    report.figures.update(
        recovery_seconds=variant.recovery_seconds,
        waiting_at_loss=len(waiting),
        active_at_loss=len(active),
        left=len(leavers),
        paid_before_loss=len(paid_before),
        lost_at_sale_seconds=round(report.marks["redis_lost"], 1),
        came_back=len(watch.back_at),
        active_at_loss_came_back_waiting=len(set(watch.back_at) & set(active)),
        fans_sent_back_to_line=sum(f.sent_back > 0 for f in sale.fans),
        last_fan_back_after_loss=round(last_back - lost_at, 1),
        admission_resumed_after_loss=round(first_admitted - lost_at, 1),
        fans_back_after_admission_resumed=sum(
            watch.back_at.get(p, float("inf")) > first_admitted for p in lost_line
        ),
        admissions_before_an_earlier_fan=len(passed_while_away),
        positions_checked=positions_checked,
        positions_checked_exactly=positions_exact,
        latecomers=len(late),
    )
    await assert_sale_clean(sale, instances, own_postgres)
    summary = report.summary()

    assert len(waiting) >= variant.waiting_at_least, summary
    # Every waiting fan's next poll: 200 WAITING, back in line, at the place it had.
    firsts = {p: after_loss[p][0][2:] if after_loss.get(p) else None for p in lost_line}
    not_back = {p: first for p, first in firsts.items() if first is None or first[:1] != (200,)}
    assert not not_back, f"{len(not_back)} not back, e.g. {list(not_back.items())[:3]}"
    assert {firsts[p][1]["status"] for p in lost_line} == {"WAITING"}, summary
    assert {p: watch.back_place[p] for p in lost_line} == {p: waiting[p] for p in lost_line}
    assert wrong_positions == [], wrong_positions[:10]
    assert positions_checked > 0, summary
    # Nobody let in before the pause ended; then nobody before a fan who joined earlier and
    # was back in line by then, and every fan of the lost line let in.
    assert watch.recovering_until is not None, summary
    assert first_admitted >= watch.recovering_until, summary
    assert _passed_by(watch.admitted, places, watch.back_at) == [], summary
    assert set(lost_line) <= set(watch.admitted), summary
    if variant.everyone_back_first:
        assert last_back < first_admitted, summary
        assert passed_while_away == [], passed_while_away[:10]
        assert positions_exact > 0, summary
    # Latecomers stand behind every fan of the lost line.
    assert min(places[_place(f.queue_token)[0]] for f in late) > max(places[p] for p in waiting)
    # Given up or paid with: expired at the loss and after the sale; and a pass that came back
    # and was then paid with does not come back a second time.
    paid_after = [f for f in sale.fans if f.paid and _place(f.queue_token)[0] in watch.back_at]
    assert len(paid_after) >= len(lost_line) // 2, summary
    again = await _statuses(instances.base_urls, paid_after[:20])
    for answer in [*gone_at_loss, *gone_after, *again]:
        assert (answer.status_code, answer.json()["code"]) == (401, "QUEUE_TOKEN_EXPIRED")
    # The sale completed: everyone who stayed paid, and leavers ended at their next poll.
    assert report.gave_up == 0, summary
    left_names = {f.username for f in leavers}
    assert {f.outcome for f in sale.fans if f.username not in left_names} == {"paid"}, summary
    assert {f.outcome for f in leavers} == {"refused:status:401:QUEUE_TOKEN_EXPIRED"}, summary


async def test_a_lost_redis_gives_fans_their_places_back_in_join_order(
    make_instances: MakeInstances, own_postgres: OwnPostgres, own_redis: OwnRedis
) -> None:
    await _lose_redis_mid_sale(FAST, make_instances, own_postgres, own_redis)


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_with_a_pause_longer_than_any_poll_nobody_passes_anyone_after_a_lost_redis(
    make_instances: MakeInstances, own_postgres: OwnPostgres, own_redis: OwnRedis
) -> None:
    await _lose_redis_mid_sale(SLOW, make_instances, own_postgres, own_redis)
