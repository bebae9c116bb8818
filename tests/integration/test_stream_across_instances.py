"""A fan listening to the event stream on one instance hears of the admission another made.

Both instances' admission loops sleep unless something in their own process wakes them (a
60 s interval), so the instance the admitted fan leaves through is the one that admits the next
fan; the stream is on the other. The waiting fan joined fifth in line, so its stream reads the
pass on its own only every heartbeat (15 s; the fan is told to poll after 16 s): news that
arrives well before that is the per-process admission reader's doing
(`waiting_room/admissions.py`), not the stream's fallback.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from boxoffice.waiting_room.stream import HEARTBEAT_SECONDS
from tests.integration.cluster import API, Cluster, start_cluster, stop_cluster
from tests.integration.fans import Fan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
# The stream's own read of the pass comes HEARTBEAT_SECONDS (15 s) after its first event; the
# other instance's reader hears of the admission within its interval (0.5 s). Hearing within ten
# seconds of the first event tells the two apart with room for a slow machine on either side.
HEARD_WITHIN = HEARTBEAT_SECONDS - 5.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    running = start_cluster(2, queue_max_active=1, admission_interval_seconds=60)
    yield running
    stop_cluster(running)


def admitted_here(url: str) -> float:
    """The instance's own count of passes it admitted (its Prometheus counter), every line's."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found = re.findall(
        r"^boxoffice_queue_admitted_total(?:\{[^}]*\})? ([0-9.e+]+)$", text, re.MULTILINE
    )
    return sum(float(count) for count in found)


async def test_a_stream_hears_an_admission_made_by_another_instance(cluster: Cluster) -> None:
    leaving_through, streaming_from = cluster.base_urls
    async with (
        httpx.AsyncClient(base_url=leaving_through, timeout=30) as first_client,
        httpx.AsyncClient(base_url=leaving_through, timeout=30) as second_client,
        httpx.AsyncClient(base_url=streaming_from, timeout=30) as stream_client,
    ):
        admitted, waiting = Fan(first_client, "across-1"), Fan(second_client, "across-2")
        ahead = [Fan(first_client, f"across-ahead-{i}") for i in range(4)]
        for fan in (admitted, *ahead, waiting):
            await fan.sign_up()
        await admitted.join()
        await admitted.wait_active(within=10)
        for fan in ahead:
            await fan.join()
        assert (await waiting.join())["position"] == 5
        before = admitted_here(streaming_from)
        admitted_before = admitted_here(leaving_through)

        headers = {
            "Authorization": f"Bearer {waiting.access}",
            "X-Queue-Token": waiting.queue_token,
        }
        # Reads of the stream may wait as long as its own pace; the test's deadline governs.
        timeout = HEARTBEAT_SECONDS + 10
        async with stream_client.stream(
            "GET", f"{API}/queue/stream", headers=headers, timeout=timeout
        ) as events:
            assert events.status_code == 200
            statuses = (
                json.loads(line.removeprefix("data: "))
                async for line in events.aiter_lines()
                if line.startswith("data: ")
            )
            first = await anext(statuses)
            first_at = time.monotonic()
            assert (first["status"], first["position"]) == ("WAITING", 5)
            assert first["poll_after_seconds"] > HEARTBEAT_SECONDS

            # The four ahead give up their places, and the admitted fan the slot, all through
            # the other instance, which lets the waiting fan in when the slot is free.
            for fan in ahead:
                assert await fan.leave() == 204
            assert await admitted.leave() == 204
            news = await asyncio.wait_for(
                anext(statuses), first_at + HEARD_WITHIN - time.monotonic()
            )

    assert news["status"] == "ACTIVE"
    assert admitted_here(streaming_from) == before  # this instance admitted no one
    assert admitted_here(leaving_through) == admitted_before + 1  # the other one did
