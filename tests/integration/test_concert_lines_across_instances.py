"""Lines per concert across instances (contract v1.1): a line given on one instance covers its
concert on every other within a second, and a busy line never holds a quiet one back."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.cluster import API, Cluster, start_cluster, stop_cluster
from tests.integration.fans import (
    Fan,
    admin,
    admit_all,
    close_all,
    create_concert_date,
    make_fans,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    running = start_cluster(2)
    yield running
    stop_cluster(running)


async def put_line(cluster: Cluster, base_url: str, concert: int, **policy: int) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:
        answer = await client.put(
            f"{API}/admin/concerts/{concert}/queue",
            json=policy,
            headers={"x-admin-key": cluster.admin_key},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["concert_id"] == concert


async def _fan_on_both_instances(cluster: Cluster) -> tuple[Fan, Fan]:
    """One fan let in by the house line, with a client on each instance (here, there)."""
    here_url, there_url = cluster.base_urls
    fan = Fan(httpx.AsyncClient(base_url=here_url, timeout=60.0), f"lf-{uuid.uuid4().hex[:8]}")
    await fan.sign_up()
    await admit_all([fan])  # a house pass, ACTIVE
    there = Fan(httpx.AsyncClient(base_url=there_url, timeout=60.0), fan.username)
    there.access, there.queue_token = fan.access, fan.queue_token
    return fan, there


async def test_a_line_given_on_one_instance_covers_its_concert_on_the_other_within_a_second(
    cluster: Cluster,
) -> None:
    concert, schedule = await create_concert_date(cluster, seats=10)
    here_url = cluster.base_urls[0]
    fan, there = await _fan_on_both_instances(cluster)
    try:
        for instance in (fan, there):  # both instances know the concert in the house line
            answer = await instance.client.get(
                f"{API}/schedules/{schedule}/seats", headers=instance.headers
            )
            assert answer.status_code == 200, answer.text

        await put_line(cluster, here_url, concert, max_active=10)
        given = time.monotonic()

        refused_here = await fan.client.get(
            f"{API}/schedules/{schedule}/seats", headers=fan.headers
        )
        assert refused_here.status_code == 403, refused_here.text  # at once where it was given
        last_open = None
        while True:
            sent = time.monotonic()
            answer = await there.client.get(
                f"{API}/schedules/{schedule}/seats", headers=there.headers
            )
            if answer.status_code == 403:
                assert answer.json()["code"] == "QUEUE_TOKEN_FORBIDDEN"
                break
            assert answer.status_code == 200, answer.text
            last_open = sent
            assert sent - given < 5, "the other instance never saw the line"
            await asyncio.sleep(0.05)
        late = 0.0 if last_open is None else last_open - given
        print(f"\n[lines] last read the other instance let through at {late:.3f} s")
        assert late < 1.0

        # The concert's own line lets the fan in on either instance.
        await fan.join(concert)
        await fan.wait_active()
        there.queue_token = fan.queue_token
        answer = await there.client.get(f"{API}/schedules/{schedule}/seats", headers=there.headers)
        assert answer.status_code == 200, answer.text
    finally:
        await close_all([fan, there])


async def test_a_busy_line_never_holds_a_quiet_line_back(cluster: Cluster) -> None:
    busy, _ = await create_concert_date(cluster, seats=10, title="Stadium")
    quiet, _ = await create_concert_date(cluster, seats=10, title="Matinee")
    await put_line(cluster, cluster.base_urls[0], busy, admit_per_minute=12, max_active=1000)
    await put_line(cluster, cluster.base_urls[1], quiet, admit_per_minute=600, max_active=1000)
    crowd = await make_fans(cluster, 150, f"busy-{uuid.uuid4().hex[:6]}-")
    few = await make_fans(cluster, 5, f"quiet-{uuid.uuid4().hex[:6]}-")
    try:
        await asyncio.gather(*(fan.join(busy) for fan in crowd))
        started = time.monotonic()
        await asyncio.gather(*(fan.join(quiet) for fan in few))
        await asyncio.gather(*(fan.wait_active(within=10) for fan in few))
        waited = time.monotonic() - started
        line = await admin(cluster, "GET", f"/admin/concerts/{busy}/queue")
        print(f"\n[lines] quiet line let in within {waited:.2f} s; busy: {line.json()}")
        assert line.json()["waiting"] > 100  # the busy line is still busy
        assert waited < 5
    finally:
        await close_all(crowd + few)


async def test_a_pass_of_a_line_just_given_is_never_refused_on_another_instance(
    cluster: Cluster,
) -> None:
    concert, schedule = await create_concert_date(cluster, seats=10)
    fan, there = await _fan_on_both_instances(cluster)
    try:
        # The other instance has read the lines just now: none of its own for the concert.
        seen = await there.client.get(f"{API}/schedules/{schedule}/seats", headers=there.headers)
        assert seen.status_code == 200, seen.text

        await put_line(cluster, cluster.base_urls[0], concert, max_active=10)
        await fan.join(concert)
        await fan.wait_active()
        there.queue_token = fan.queue_token
        answer = await there.client.get(f"{API}/schedules/{schedule}/seats", headers=there.headers)
        assert answer.status_code == 200, answer.text  # read again before any refusal
    finally:
        await close_all([fan, there])
