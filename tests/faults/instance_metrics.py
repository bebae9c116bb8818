"""What the instances counted on /metrics, added up over instances: the evidence that a fault
struck where a scenario meant it to (a stale connection replaced, a read served again), beside
what the fans saw.
"""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["dependency_faults", "metric_total"]


async def _sample_sum(
    client: httpx.AsyncClient, url: str, name: str, labels: dict[str, str]
) -> float:
    response = await client.get(f"{url}/metrics")
    response.raise_for_status()
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


async def metric_total(base_urls: list[str], name: str, **labels: str) -> float:
    """The sum over instances of every sample `name` with these labels (0 if none)."""
    async with httpx.AsyncClient(timeout=10) as client:
        found = await asyncio.gather(*(_sample_sum(client, url, name, labels) for url in base_urls))
    return sum(found)


async def dependency_faults(base_urls: list[str], dependency: str, kind: str) -> int:
    """boxoffice_dependency_faults_total{dependency, kind} over every instance."""
    total = await metric_total(
        base_urls, "boxoffice_dependency_faults_total", dependency=dependency, kind=kind
    )
    return int(total)
