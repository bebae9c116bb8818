"""What operations sends beside the fans: health checks, metric scrapes, the room's figures.

A load balancer asks /healthz and /readyz every few seconds, Prometheus scrapes /metrics, and
an operator's dashboard reads the waiting room's figures: all of it is part of a day's traffic,
and each reads state a leak could hide in (the workers' metric files, the room's counters).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

from scripts.soaking.shop import API, Shop

__all__ = ["watch"]

HEALTH_SECONDS = 5.0
SCRAPES_EVERY = 3  # health beats: /metrics and the room every 15 s
_CACHE_LINE = re.compile(
    rb'^boxoffice_process_cache_entries\{cache="(\w+)",pid="\d+"\} ([0-9.e+]+)$', re.MULTILINE
)


def caches(metrics: bytes) -> dict[str, float]:
    """Each bounded per-process cache's entries, added up over the workers."""
    found: Counter[str] = Counter()
    for name, value in _CACHE_LINE.findall(metrics):
        found[name.decode()] += float(value)
    return dict(found)


async def watch(shop: Shop, admin_key: str, room: dict[str, Any], stop: asyncio.Event) -> None:
    beat = 0
    while not stop.is_set():
        await shop.call("GET /healthz", "GET", "/healthz")
        await shop.call("GET /readyz", "GET", "/readyz")
        if beat % SCRAPES_EVERY == 0:
            scraped = await shop.call("GET /metrics", "GET", "/metrics")
            if scraped.status == 200:
                room["caches"] = caches(scraped.raw)
            read = await shop.call(
                "GET /admin/queue", "GET", f"{API}/admin/queue", headers={"X-Admin-Key": admin_key}
            )
            if read.status == 200:
                room.update({k: read.body[k] for k in ("waiting", "active", "admitted_total")})
        beat += 1
        try:
            await asyncio.wait_for(stop.wait(), HEALTH_SECONDS)
        except TimeoutError:
            continue
