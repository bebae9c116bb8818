"""A fan listening to the event stream on one instance hears of the admission another made.

Both instances' admission loops sleep unless something in their own process wakes them (a
60 s interval), so the instance the admitted fan leaves through is the one that admits the next
fan; the stream is on the other. The waiting fan's own reads of its pass come every 3 s (its
`poll_after_seconds`), so hearing within two seconds of the leave is the per-process admission
reader's doing (`waiting_room/admissions.py`), not the stream's fallback.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.cluster import API, Cluster, start_cluster, stop_cluster
from tests.integration.fans import Fan

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
WITHIN = 2.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    running = start_cluster(2, queue_max_active=1, admission_interval_seconds=60)
    yield running
    stop_cluster(running)


def admitted_here(url: str) -> float:
    """The instance's own count of passes it admitted (its Prometheus counter)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found = re.search(r"^boxoffice_queue_admitted_total ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_a_stream_hears_an_admission_made_by_another_instance(cluster: Cluster) -> None:
    leaving_through, streaming_from = cluster.base_urls
    async with (
        httpx.AsyncClient(base_url=leaving_through, timeout=30) as first_client,
        httpx.AsyncClient(base_url=leaving_through, timeout=30) as second_client,
        httpx.AsyncClient(base_url=streaming_from, timeout=30) as stream_client,
    ):
        admitted, waiting = Fan(first_client, "across-1"), Fan(second_client, "across-2")
        for fan in (admitted, waiting):
            await fan.sign_up()
        await admitted.join()
        await admitted.wait_active(within=10)
        assert (await waiting.join())["position"] == 1
        before = admitted_here(streaming_from)
        admitted_before = admitted_here(leaving_through)

        params = {"token": waiting.queue_token, "access_token": waiting.access}
        async with stream_client.stream("GET", f"{API}/queue/stream", params=params) as events:
            assert events.status_code == 200
            statuses = (
                json.loads(line.removeprefix("data: "))
                async for line in events.aiter_lines()
                if line.startswith("data: ")
            )
            first = await anext(statuses)
            assert (first["status"], first["position"]) == ("WAITING", 1)
            assert first["poll_after_seconds"] >= 3

            left_at = time.monotonic()
            assert await admitted.leave() == 204  # frees the slot through the other instance
            news = await anext(statuses)
            heard_after = time.monotonic() - left_at

    assert news["status"] == "ACTIVE"
    assert heard_after < WITHIN
    assert admitted_here(streaming_from) == before  # this instance admitted no one
    assert admitted_here(leaving_through) == admitted_before + 1  # the other one did
