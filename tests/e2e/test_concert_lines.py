"""A line per concert (API v1.1): a concert given its own line opens only to that line's passes.

The house line covers every concert without a line of its own, as v1's one line did; each line
has its own order, policy, pre-queue and admission; a fan may stand in several lines at once;
paying uses up only the pass of the line that covers the reservation.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from boxoffice.background import STATS_EVERY_SECONDS, admission_loop
from boxoffice.bootstrap import Container
from tests.conftest import ADMIN, API, Fan, Shop

from .support import assert_problem
from .test_queue_stream import PATIENCE, until


async def _join(shop: Shop, fan: Fan, concert_id: int | None = None) -> str:
    """The fan's pass for the line covering `concert_id` (the house line if None)."""
    await shop.join(fan, concert_id)
    assert fan.queue_token is not None
    return fan.queue_token


def _with(fan: Fan, token: str) -> dict[str, str]:
    return {**fan.auth, "X-Queue-Token": token}


async def _pass_routes(
    shop: Shop, fan: Fan, token: str, concert: int, schedule: int
) -> list[httpx.Response]:
    """Every [pass] request about the concert: its dates, a seat map, a hold."""
    headers = _with(fan, token)
    client = shop.client
    return [
        await client.get(f"{API}/concerts/{concert}/schedules", headers=headers),
        await client.get(f"{API}/schedules/{schedule}/seats", headers=headers),
        await client.post(
            f"{API}/reservations",
            json={"schedule_id": schedule, "seat_numbers": [1]},
            headers=headers,
        ),
    ]


@pytest.fixture
async def two_sales(shop: Shop) -> tuple[int, int, int, int]:
    """(stadium concert with its own line, its date, matinee in the house line, its date)."""
    stadium = (await shop.create_concert("Stadium"))["id"]
    stadium_date = (await shop.create_date(stadium, seat_count=20))["id"]
    matinee = (await shop.create_concert("Matinee"))["id"]
    matinee_date = (await shop.create_date(matinee, seat_count=20))["id"]
    await shop.own_line(stadium, max_active=5)
    return stadium, stadium_date, matinee, matinee_date


async def test_a_concert_with_its_own_line_opens_only_to_that_lines_passes(
    shop: Shop, two_sales: tuple[int, int, int, int]
) -> None:
    stadium, stadium_date, matinee, matinee_date = two_sales
    fan = await shop.sign_up()
    house_pass = await _join(shop, fan)
    stadium_pass = await _join(shop, fan, stadium)
    assert house_pass != stadium_pass  # one pass per line, both live at once
    await shop.admit()
    await shop.admit(stadium)

    for refused in await _pass_routes(shop, fan, house_pass, stadium, stadium_date):
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "QUEUE_TOKEN_FORBIDDEN"
        assert f'"concert_id": {stadium}' in refused.json()["detail"]  # what to do next
    for refused in await _pass_routes(shop, fan, stadium_pass, matinee, matinee_date):
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "QUEUE_TOKEN_FORBIDDEN"

    let_in = await _pass_routes(shop, fan, stadium_pass, stadium, stadium_date)
    assert [r.status_code for r in let_in] == [200, 200, 201], [r.text for r in let_in]
    house_let_in = await _pass_routes(shop, fan, house_pass, matinee, matinee_date)
    assert [r.status_code for r in house_let_in] == [200, 200, 201]


async def test_a_refused_pass_holds_nothing(
    shop: Shop, two_sales: tuple[int, int, int, int]
) -> None:
    _, stadium_date, _, _ = two_sales
    fan = await shop.sign_up()
    house_pass = await _join(shop, fan)
    await shop.admit()

    refused = await shop.client.post(
        f"{API}/reservations",
        json={"schedule_id": stadium_date, "quantity": 2},
        headers=_with(fan, house_pass),
    )

    assert refused.status_code == 403
    mine = await shop.client.get(f"{API}/reservations", headers=fan.auth)
    assert mine.json() == []


async def test_joining_with_a_concert_without_a_line_of_its_own_joins_the_house_line(
    shop: Shop, two_sales: tuple[int, int, int, int]
) -> None:
    _, _, matinee, _ = two_sales
    fan = await shop.sign_up()
    plain = await shop.join(fan)
    for_matinee = await shop.join(fan, matinee)

    assert for_matinee["token"] == plain["token"]  # the same live pass: joining again
    assert for_matinee["concert_id"] is None
    assert plain["concert_id"] is None


async def test_the_status_names_the_line(shop: Shop, two_sales: tuple[int, int, int, int]) -> None:
    stadium = two_sales[0]
    fan = await shop.sign_up()
    joined = await shop.join(fan, stadium)
    assert joined["concert_id"] == stadium
    assert (await shop.queue_status(fan))["concert_id"] == stadium


async def test_joining_the_line_of_a_concert_that_is_not_is_404(shop: Shop) -> None:
    fan = await shop.sign_up()
    response = await shop.client.post(
        f"{API}/queue/tokens", json={"concert_id": 424242}, headers=fan.auth
    )
    assert response.status_code == 404
    assert response.json()["code"] == "CONCERT_NOT_FOUND"


@pytest.mark.parametrize("line", ["house", "own"])
async def test_the_dates_of_a_concert_that_is_not_are_404_with_any_pass(
    shop: Shop, two_sales: tuple[int, int, int, int], line: str
) -> None:
    """A path id that names nothing answers 404, whatever pass comes with it (with a concert
    line's pass it answered 403 QUEUE_TOKEN_FORBIDDEN, as for another concert)."""
    stadium = two_sales[0]
    fan = await shop.admitted_fan(line=stadium if line == "own" else None)

    response = await shop.client.get(f"{API}/concerts/424242/schedules", headers=fan.with_pass)

    assert response.status_code == 404, response.text
    assert response.json()["code"] == "CONCERT_NOT_FOUND"


async def test_a_cached_date_list_asks_the_database_nothing_with_a_line_pass(
    shop: Shop, two_sales: tuple[int, int, int, int]
) -> None:
    """Whether a concert exists is asked only on the way to refusing a pass (once the 404 fix
    asked the database on every read of a date list while a concert had its own line)."""
    stadium = two_sales[0]
    fan = await shop.admitted_fan(line=stadium)
    path = f"{API}/concerts/{stadium}/schedules"
    assert (await shop.client.get(path, headers=fan.with_pass)).status_code == 200
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = shop.container.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        answers = [await shop.client.get(path, headers=fan.with_pass) for _ in range(5)]
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert [a.status_code for a in answers] == [200] * 5
    assert statements == []


@pytest.mark.parametrize("body", [{"concert_id": "1"}, {"concert_id": 0}, {"concert_id": 1.5}])
async def test_a_bad_concert_id_is_a_validation_error(shop: Shop, body: dict[str, Any]) -> None:
    fan = await shop.sign_up()
    response = await shop.client.post(f"{API}/queue/tokens", json=body, headers=fan.auth)
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


async def test_each_line_has_its_own_order_slots_and_admission(
    shop: Shop, two_sales: tuple[int, int, int, int]
) -> None:
    stadium = two_sales[0]
    await shop.own_line(stadium, max_active=1)
    await shop.set_queue_policy(max_active=3)
    stadium_fans = [await shop.sign_up() for _ in range(3)]
    house_fans = [await shop.sign_up() for _ in range(3)]
    for fan in stadium_fans:
        await _join(shop, fan, stadium)
    for fan in house_fans:
        await _join(shop, fan)

    # Each line numbers its own places: the first of each line is first.
    assert [(await shop.queue_status(f))["position"] for f in stadium_fans] == [1, 2, 3]
    assert [(await shop.queue_status(f))["position"] for f in house_fans] == [1, 2, 3]

    assert len(await shop.admit(stadium)) == 1  # its own max_active
    assert len(await shop.admit()) == 3  # the house line's, untouched by the stadium's
    statuses = [(await shop.queue_status(f))["status"] for f in stadium_fans]
    assert statuses == ["ACTIVE", "WAITING", "WAITING"]


async def _holding_in_two_lines(
    shop: Shop, two_sales: tuple[int, int, int, int], balance: int
) -> tuple[Fan, str, str, dict[str, Any]]:
    """A fan let in by the house line and by the stadium's, holding a stadium seat: (fan,
    house pass, stadium pass, the hold); the fan's current pass is the stadium's."""
    stadium, stadium_date, _, _ = two_sales
    fan = await shop.sign_up()
    await shop.charge(fan, balance)
    house_pass = await _join(shop, fan)
    stadium_pass = await _join(shop, fan, stadium)
    await shop.admit()
    await shop.admit(stadium)
    fan.queue_token = stadium_pass
    return fan, house_pass, stadium_pass, await shop.hold(fan, stadium_date, [3])


async def test_paying_uses_up_only_the_pass_of_the_line_covering_the_reservation(
    shop: Shop, two_sales: tuple[int, int, int, int]
) -> None:
    fan, house_pass, stadium_pass, held = await _holding_in_two_lines(shop, two_sales, 500_000)

    fan.queue_token = house_pass
    refused = await shop.post_payment(fan, held["id"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "QUEUE_TOKEN_FORBIDDEN"
    assert await shop.balance(fan) == 500_000  # nothing moved

    fan.queue_token = stadium_pass
    await shop.pay(fan, held["id"])

    spent = await shop.client.get(f"{API}/queue/status", headers=_with(fan, stadium_pass))
    assert spent.status_code == 401
    assert spent.json()["code"] == "QUEUE_TOKEN_EXPIRED"
    fan.queue_token = house_pass
    assert (await shop.queue_status(fan))["status"] == "ACTIVE"  # the other line's pass lives


async def test_the_first_put_starts_from_the_house_policy(shop: Shop) -> None:
    concert = (await shop.create_concert())["id"]
    house = await shop.set_queue_policy(max_active=7, admit_per_minute=90)

    before = await shop.client.get(f"{API}/admin/concerts/{concert}/queue", headers=ADMIN)
    assert before.status_code == 200
    assert before.json()["concert_id"] is None  # covered by the house line
    assert before.json()["policy"] == house["policy"]

    line = await shop.own_line(concert, max_active=2)
    assert line["concert_id"] == concert
    assert line["closing"] is False
    assert line["policy"] == {**house["policy"], "max_active": 2}

    changed = await shop.own_line(concert, admit_per_minute=30)
    assert changed["policy"] == {**house["policy"], "max_active": 2, "admit_per_minute": 30}
    after = await shop.set_queue_policy(max_active=9)  # the house line's change is its own
    assert after["policy"]["max_active"] == 9
    read = await shop.client.get(f"{API}/admin/concerts/{concert}/queue", headers=ADMIN)
    assert read.json()["policy"]["max_active"] == 2


async def test_a_line_has_its_own_prequeue_and_opening(shop: Shop) -> None:
    concert = (await shop.create_concert())["id"]
    opens = shop.clock.now() + timedelta(minutes=10)
    await shop.own_line(concert, opens_at=opens.isoformat())
    early = await shop.sign_up()
    in_line = await shop.join(early, concert)
    assert in_line["position"] is None  # in the pre-queue
    assert in_line["opens_at"] is not None
    house_fan = await shop.sign_up()
    assert (await shop.join(house_fan))["position"] == 1  # the house line is open

    shop.clock.advance(600)
    assert await shop.admit(concert)  # the opening lets the pre-queue in
    assert (await shop.queue_status(early))["status"] == "ACTIVE"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
async def test_the_line_of_a_concert_that_is_not_is_404(shop: Shop, method: str) -> None:
    kwargs: dict[str, Any] = {"headers": ADMIN}
    if method == "put":
        kwargs["json"] = {"max_active": 3}
    for concert in ("424242", "abc"):
        response = await shop.client.request(
            method.upper(), f"{API}/admin/concerts/{concert}/queue", **kwargs
        )
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "CONCERT_NOT_FOUND"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
async def test_a_concerts_line_needs_the_admin_key(shop: Shop, method: str) -> None:
    concert = (await shop.create_concert())["id"]
    response = await shop.client.request(
        method.upper(), f"{API}/admin/concerts/{concert}/queue", json={}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "ADMIN_UNAUTHORIZED"


async def test_a_line_given_up_takes_no_one_and_ends_once_empty(
    shop: Shop, container: Container, two_sales: tuple[int, int, int, int]
) -> None:
    stadium, stadium_date, _, _ = two_sales
    inside = await shop.sign_up()
    inside_pass = await _join(shop, inside, stadium)
    await shop.admit(stadium)

    given_up = await shop.client.delete(f"{API}/admin/concerts/{stadium}/queue", headers=ADMIN)
    assert given_up.status_code == 204
    line = await shop.client.get(f"{API}/admin/concerts/{stadium}/queue", headers=ADMIN)
    assert line.json()["concert_id"] == stadium
    assert line.json()["closing"] is True

    # A fan who asks for the concert now joins the house line and shops beside the closing
    # line's own fans, who keep their places and passes until the line is empty.
    late = await shop.sign_up()
    assert (await shop.join(late, stadium))["concert_id"] is None
    await shop.admit()
    late_pass = late.queue_token
    assert late_pass is not None
    for fan, token in ((inside, inside_pass), (late, late_pass)):
        still = await shop.client.get(
            f"{API}/schedules/{stadium_date}/seats", headers=_with(fan, token)
        )
        assert still.status_code == 200, still.text
    now = shop.clock.now().timestamp()
    assert not await container.waiting_room.end_if_empty(stadium, now)  # one fan still in

    left = await shop.client.delete(
        f"{API}/queue/tokens/current", headers=_with(inside, inside_pass)
    )
    assert left.status_code == 204
    # Empty, but not ended before every instance has surely read that it closes.
    assert not await container.waiting_room.end_if_empty(stadium, now)
    shop.clock.advance(container.waiting_room.lines.end_grace_seconds)
    assert await container.waiting_room.end_if_empty(stadium, shop.clock.now().timestamp())

    house_again = await shop.client.get(f"{API}/admin/concerts/{stadium}/queue", headers=ADMIN)
    assert house_again.json()["concert_id"] is None
    opened = await shop.client.get(
        f"{API}/schedules/{stadium_date}/seats", headers=_with(late, late_pass)
    )
    assert opened.status_code == 200


async def test_a_pass_of_a_line_that_ended_is_not_restored_when_the_line_is_given_again(
    shop: Shop, container: Container, two_sales: tuple[int, int, int, int]
) -> None:
    """On the embedded default a line given again was a new room, to which a pass of its
    first sale that had expired unused looked like one of a lost room: polled, it came back
    at the head of the line and held admission for QUEUE_RECOVERY_SECONDS (on Redis the room's
    keys outlive the line, and it was refused)."""
    stadium = two_sales[0]
    early = await shop.sign_up()
    early_pass = await _join(shop, early, stadium)
    await shop.admit(stadium)
    shop.clock.advance(container.settings.queue_active_ttl_seconds + 60)  # expired unused
    expired = await shop.client.get(f"{API}/queue/status", headers=_with(early, early_pass))
    assert_problem(expired, 401, "QUEUE_TOKEN_EXPIRED")
    assert (
        await shop.client.delete(f"{API}/admin/concerts/{stadium}/queue", headers=ADMIN)
    ).is_success
    shop.clock.advance(container.waiting_room.lines.end_grace_seconds + 1)
    assert await container.waiting_room.end_if_empty(stadium, shop.clock.now().timestamp())
    container.waiting_room.stores.forget(stadium)  # as the admission loop does, once ended
    await shop.own_line(stadium, max_active=5)
    newcomer = await shop.sign_up()
    await _join(shop, newcomer, stadium)

    replayed = await shop.client.get(f"{API}/queue/status", headers=_with(early, early_pass))

    assert_problem(replayed, 401, "QUEUE_TOKEN_EXPIRED")
    assert await shop.admit(stadium)  # admission goes on: no recovery was started


async def test_a_line_given_up_and_asked_for_again_takes_fans_again(
    shop: Shop, two_sales: tuple[int, int, int, int]
) -> None:
    stadium = two_sales[0]
    keeper = await shop.sign_up()
    await _join(shop, keeper, stadium)  # keeps the line from ending
    await shop.client.delete(f"{API}/admin/concerts/{stadium}/queue", headers=ADMIN)

    again = await shop.own_line(stadium)
    assert again["closing"] is False
    assert again["policy"]["max_active"] == 5  # its own policy, not the house line's
    fan = await shop.sign_up()
    assert (await shop.join(fan, stadium))["concert_id"] == stadium


async def test_the_admission_loop_serves_every_line_and_ends_an_empty_closing_one(
    shop: Shop, container: Container, two_sales: tuple[int, int, int, int]
) -> None:
    stadium, _, _, _ = two_sales
    lines = [stadium]
    for title in ("Jazz night", "Quartet"):
        concert = (await shop.create_concert(title))["id"]
        await shop.own_line(concert, max_active=2)
        lines.append(concert)
    fans = {line: [await shop.sign_up() for _ in range(2)] for line in [None, *lines]}
    for line, line_fans in fans.items():
        for fan in line_fans:
            await _join(shop, fan, line)
    empty = (await shop.create_concert("Given up"))["id"]
    await shop.own_line(empty)
    await shop.client.delete(f"{API}/admin/concerts/{empty}/queue", headers=ADMIN)
    # Closing long enough to end once empty.
    shop.clock.advance(container.waiting_room.lines.end_grace_seconds)

    loop = asyncio.create_task(admission_loop(container))
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            statuses = [
                (await shop.queue_status(fan))["status"]
                for line_fans in fans.values()
                for fan in line_fans
            ]
            if statuses == ["ACTIVE"] * len(statuses):
                break
            assert time.monotonic() < deadline, f"every line's fans let in by one loop: {statuses}"
            await asyncio.sleep(0.01)
        await until(
            lambda: empty not in container.waiting_room.lines._known.own,
            "the empty closing line ended",
        )
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    response = await shop.client.get(f"{API}/admin/concerts/{empty}/queue", headers=ADMIN)
    assert response.json()["concert_id"] is None


async def test_metrics_are_labelled_by_line(
    shop: Shop, container: Container, two_sales: tuple[int, int, int, int]
) -> None:
    stadium = two_sales[0]
    fan = await shop.sign_up()
    await _join(shop, fan, stadium)
    text = (await shop.client.get("/metrics")).text
    assert f'boxoffice_queue_joined_total{{line="{stadium}"}}' in text


async def _until_active(shop: Shop, fans: list[Fan]) -> None:
    deadline = time.monotonic() + PATIENCE
    while True:
        statuses = [(await shop.queue_status(fan))["status"] for fan in fans]
        if statuses == ["ACTIVE"] * len(fans):
            return
        assert time.monotonic() < deadline, statuses
        await asyncio.sleep(0.01)


async def test_a_line_whose_store_fails_does_not_stop_the_others(
    shop: Shop,
    container: Container,
    two_sales: tuple[int, int, int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stadium = two_sales[0]
    other = (await shop.create_concert("Other"))["id"]
    await shop.own_line(other)

    async def node_down(now: float) -> list[str]:
        raise ConnectionError("the node holding this line is down")

    # The house line is admitted first: its failure must not hold back the lines after it.
    monkeypatch.setattr(container.waiting_room.stores.house, "admit", node_down)
    fans = [await shop.sign_up() for _ in range(2)]
    await _join(shop, fans[0], stadium)
    await _join(shop, fans[1], other)
    loop = asyncio.create_task(admission_loop(container))
    try:
        await _until_active(shop, fans)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


async def test_lines_last_read_still_admit_while_the_database_does_not_answer(
    shop: Shop,
    container: Container,
    two_sales: tuple[int, int, int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stadium = two_sales[0]
    await shop.own_line(stadium, max_active=1)
    first, second = await shop.sign_up(), await shop.sign_up()
    first_pass = await _join(shop, first, stadium)
    await _join(shop, second, stadium)
    loop = asyncio.create_task(admission_loop(container))
    try:
        await _until_active(shop, [first])

        async def unread(*, at_once: bool = False) -> Any:
            raise ConnectionError("the database does not answer")

        monkeypatch.setattr(container.waiting_room.lines, "current", unread)
        left = await shop.client.delete(
            f"{API}/queue/tokens/current", headers=_with(first, first_pass)
        )
        assert left.status_code == 204
        await _until_active(shop, [second])  # let in by the loop, on the lines it last read
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


async def test_while_no_concert_has_a_line_no_request_looks_up_a_concert(
    shop: Shop, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1 deployments pay nothing for lines: a house pass is let through without reading
    which concert a date or a reservation is of."""
    date = await shop.date_on_sale(seat_count=4, price=10_000)
    fan = await shop.admitted_fan()
    await shop.charge(fan, 10_000)

    def no_lookup(*args: Any) -> Any:
        raise AssertionError("looked up a concert while no concert has a line")

    monkeypatch.setattr(container.listings, "concert_of", no_lookup)
    await shop.client.get(f"{API}/concerts/{date['concert_id']}/schedules", headers=fan.with_pass)
    assert (await shop.seat_map(fan, date["id"]))[1] == "AVAILABLE"
    held = await shop.hold(fan, date["id"], [1])
    await shop.pay(fan, held["id"])


async def test_a_paid_retry_sent_with_another_lines_pass_replays_the_first_answer(
    shop: Shop, two_sales: tuple[int, int, int, int]
) -> None:
    fan, house_pass, _, held = await _holding_in_two_lines(shop, two_sales, 100_000)
    first = await shop.pay(fan, held["id"], key="pay-once")

    fan.queue_token = house_pass  # the app retries with the pass it has for the house line
    again = await shop.post_payment(fan, held["id"], key="pay-once")

    assert again.status_code == 201
    assert again.json() == first
    assert await shop.balance(fan) == 100_000 - first["amount"]


async def test_a_closing_line_is_not_ended_while_its_lost_room_is_recovered(
    shop: Shop, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A room made anew after its store was lost looks empty while its fans come back: the
    loop that finds it replaced ends no closing line before the recovery time is over."""
    concert = (await shop.create_concert("Closing"))["id"]
    await shop.own_line(concert)
    await shop.client.delete(f"{API}/admin/concerts/{concert}/queue", headers=ADMIN)
    room = container.waiting_room
    marks = ["room-before-the-loss"]
    seen: list[str] = []

    async def replaced(known: str, now: float, recovery: float) -> str:
        seen.append(known)
        return marks[-1]

    monkeypatch.setattr(room.stores.of(concert), "hold_if_replaced", replaced)
    monkeypatch.setattr(container.settings, "admission_interval_seconds", 0.01)
    loop = asyncio.create_task(admission_loop(container))
    try:
        await until(lambda: len(seen) == 1, "the loop's first count: it knows the room")
        marks.append("")  # the store was lost: a new, empty room
        shop.clock.advance(room.lines.end_grace_seconds + 5)  # long closing, and a new count
        await until(lambda: seen[-1] == "room-before-the-loss", "the loop found it replaced")
        for count in range(3):  # more counts, each finding the line empty, within the recovery
            shop.clock.advance(STATS_EVERY_SECONDS)
            await until(lambda count=count: len(seen) >= 3 + count, "another count")
        assert concert in (await room.lines.current(at_once=True)).own  # not ended yet

        shop.clock.advance(container.settings.queue_recovery_seconds)
        await until(lambda: concert not in room.lines._known.own, "ended after the recovery")
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
