"""How many calls the servers sent together during a step, read from their /metrics.

A hold and a payment on PostgreSQL go in batches (one statement for the holds asked for
together, one for the payments), and the waiting room's Lua scripts in Redis pipelines: each
batch costs its process a statement, a commit or a round trip that its calls share, so what a
call costs the servers depends on how many went together (docs/benchmarks.md, "How many calls
a batch carries"). The servers count them in the histogram `boxoffice_batch_size` (its `_sum`:
calls, its `_count`: batches, by `statement`); the difference of two readings is a step's.

/metrics is read as any client reads it: a deployment that asks a token for it (its
`BOXOFFICE_METRICS_TOKEN`) answers 401, and the step is then reported without these figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prometheus_client.parser import text_string_to_metric_families

from boxoffice_rush.client import HttpClient

__all__ = ["METRICS_PATH", "Totals", "calls_a_batch", "parse_totals", "read_totals"]

METRICS_PATH = "/metrics"
BATCH_METRIC = "boxoffice_batch_size"
# statement: (calls, batches) since each server started.
Totals = dict[str, tuple[float, float]]


def parse_totals(text: str) -> Totals:
    """Calls and batches by statement, from Prometheus' text format (prometheus-client's parser)."""
    calls: dict[str, float] = {}
    batches: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != BATCH_METRIC:
            continue
        for sample in family.samples:
            statement = sample.labels.get("statement")
            if statement is None:
                continue
            if sample.name == f"{BATCH_METRIC}_sum":
                calls[statement] = sample.value
            elif sample.name == f"{BATCH_METRIC}_count":
                batches[statement] = sample.value
    return {name: (calls[name], batches.get(name, 0.0)) for name in calls}


async def read_totals(clients: Sequence[HttpClient]) -> Totals | int:
    """The servers' totals, added up over the base URLs (each sums its own workers); or the
    status of the first answer that was not 200 (0: no answer)."""
    totals: Totals = {}
    for client in clients:
        status, text = await client.fetch_text(METRICS_PATH)
        if status != 200:
            return status
        for name, (calls, batches) in parse_totals(text).items():
            before = totals.get(name, (0.0, 0.0))
            totals[name] = (before[0] + calls, before[1] + batches)
    return totals


def calls_a_batch(before: Mapping[str, tuple[float, float]], after: Totals) -> dict[str, float]:
    """Calls a batch between two readings, by statement, for those that sent a batch between."""
    figures = {}
    for name, (calls, batches) in sorted(after.items()):
        calls_before, batches_before = before.get(name, (0.0, 0.0))
        sent = batches - batches_before
        if sent > 0:
            figures[name] = round((calls - calls_before) / sent, 1)
    return figures
