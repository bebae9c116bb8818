"""Lines spread over a Redis Cluster (issue 17, item 2): each line's keys share one hash slot, so
every step of a line is still one atomic script, and the lines spread over the nodes.

A real three-master cluster (Debian's redis-server, on free ports: tests/redis_cluster.py) under
two instances of the service: twenty concerts with a line of their own and the house line, fans
joining and being let in on every line, a hold and a payment (the rate limiter's and the seat
news' keys live there too); then every node holds lines' keys, and each line's keys sit on one
node.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from redis.cluster import key_slot

from tests.integration.cluster import Cluster, start_cluster, stop_cluster
from tests.integration.fans import Fan, admin, close_all, create_concert_date, make_fans
from tests.redis_cluster import RedisClusterNodes, redis_cluster

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

LINES = 20
FANS_PER_LINE = 3


@pytest.fixture(scope="module")
def nodes() -> Iterator[RedisClusterNodes]:
    with redis_cluster(3) as running:
        yield running


@pytest.fixture(scope="module")
def cluster(nodes: RedisClusterNodes) -> Iterator[Cluster]:
    running = start_cluster(2, redis_url=nodes.url, queue_room=_spread_room(nodes))
    yield running
    stop_cluster(running)


def _spread_room(nodes: RedisClusterNodes) -> str:
    """A room name whose first LINES concert lines (ids 1.. in the fresh database) fall on
    every node: where a line lives is fixed by its name, so the test picks names that spread
    rather than hoping (a node with none of 20 random slots: about one run in a thousand)."""
    while True:
        room = f"it-{uuid.uuid4().hex[:12]}"
        slots = [key_slot(f"{room}:c{concert}".encode()) for concert in range(1, LINES + 1)]
        if {_node_of(nodes, slot) for slot in slots} == set(nodes.ports):
            return room


def _node_of(nodes: RedisClusterNodes, slot: int) -> int:
    for port, ranges in nodes.slots().items():
        if any(first <= slot <= last for first, last in ranges):
            return port
    raise AssertionError(f"no node serves slot {slot}")


async def test_twenty_lines_and_the_house_line_spread_over_every_node(
    nodes: RedisClusterNodes, cluster: Cluster
) -> None:
    room = cluster.env["BOXOFFICE_QUEUE_ROOM"]
    concerts = []
    for number in range(LINES):
        concert, _ = await create_concert_date(cluster, seats=10, title=f"Line {number}")
        put = await admin(
            cluster,
            "PUT",
            f"/admin/concerts/{concert}/queue",
            json={"max_active": 100, "admit_per_minute": 6000},
        )
        assert put.status_code == 200, put.text
        concerts.append(concert)
    # The lines' rooms by hash slot: where the cluster puts them is fixed by their names.
    homes = {
        concert: _node_of(nodes, key_slot(f"{room}:c{concert}".encode())) for concert in concerts
    }
    assert set(homes.values()) == set(nodes.ports)

    fans = await make_fans(cluster, LINES * FANS_PER_LINE + 3, f"rc-{uuid.uuid4().hex[:6]}-")
    try:
        by_line: dict[int | None, list[Fan]] = {None: fans[:3]}
        for index, concert in enumerate(concerts):
            start = 3 + index * FANS_PER_LINE
            by_line[concert] = fans[start : start + FANS_PER_LINE]
        joined = await asyncio.gather(
            *(fan.join(line) for line, line_fans in by_line.items() for fan in line_fans)
        )
        assert [body["concert_id"] for body in joined] == [
            line for line, line_fans in by_line.items() for _ in line_fans
        ]
        await asyncio.gather(*(fan.wait_active(within=30) for fan in fans))

        # A sale on one line: hold, charge, pay (rate limits and seat news on the cluster too).
        buyer = by_line[concerts[-1]][0]
        _, schedule = await create_concert_date(cluster, seats=5, title="Not this one")
        refused = await buyer.hold(schedule, [1])
        assert refused.status_code == 403, refused.text  # another concert: the house line's
        dates = await buyer.client.get(
            f"/api/v1/concerts/{concerts[-1]}/schedules", headers=buyer.headers
        )
        assert dates.status_code == 200, dates.text
        held = await buyer.hold(dates.json()[0]["id"], [1, 2])
        assert held.status_code == 201, held.text
        assert (await buyer.charge(100_000)).status_code == 201
        paid = await buyer.pay(held.json()["id"])
        assert paid.status_code == 201, paid.text
    finally:
        await close_all(fans)

    # Every node holds lines' keys, and each line's keys sit on the node of its slot.
    found: dict[int, set[str]] = {}
    for port in nodes.ports:
        client = nodes.node(port)
        try:
            found[port] = set(client.scan_iter(match=f"*{{{room}*", count=1000))
        finally:
            client.close()
    for concert, home in homes.items():
        tag = f"{{{room}:c{concert}}}"
        where = {port for port, keys in found.items() if any(tag in key for key in keys)}
        assert where == {home}, (concert, where, home)
    assert all(found.values()), {port: len(keys) for port, keys in found.items()}
