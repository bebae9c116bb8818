"""Issue 6's targets for the sale, and each isolated step's figures. Pure.

The per-endpoint ratio targets are issue 16's, against bare apps: see `references`.
"""

from __future__ import annotations

from typing import Any

from boxoffice_rush import endpoints
from boxoffice_rush.machine_cpu import CpuSpent
from boxoffice_rush.stats import Recorder, summarize

__all__ = [
    "ISOLATED_ORDER",
    "P99_TARGET_MS",
    "RSS_TARGET_MIB",
    "TICKETS_TARGET",
    "isolated_row",
    "mark",
    "mark_below",
    "target_rows",
]

# The order the isolated steps run in: a fan's path through the sale.
ISOLATED_ORDER = (endpoints.JOIN, endpoints.STATUS, endpoints.SEATS, endpoints.HOLD, endpoints.PAY)
CONFLICT = (409, "SEAT_UNAVAILABLE")
TICKETS_TARGET = 400.0
P99_TARGET_MS = 250.0
RSS_TARGET_MIB = 200.0


def mark(value: float | None, target: float | None, *, missing: str = "no ceiling measured") -> str:
    """`met` if `value` reaches `target`, or by how much it falls short (and how many times)."""
    if target is None:
        return "no target"
    if value is None:
        return missing
    if value >= target:
        return "met"
    if value <= 0:
        return f"missed: nothing measured (target {target:g})"
    return f"missed by {target - value:,.3g} ({target / value:.1f}× needed)"


def mark_below(value: float | None, limit: float, *, missing: str = "not measured") -> str:
    """`met` if `value` stays under `limit`, or by how much it is over."""
    if value is None:
        return missing
    if value < limit:
        return "met"
    return f"missed by {value - limit:,.1f} ({value / limit:.1f}× the limit)"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def isolated_row(
    endpoint: str,
    recorder: Recorder,
    *,
    seconds: float,
    fans: int,
    ceiling_per_second: float | None,
    exhausted_at: float | None = None,
    client_cpu_seconds: float = 0.0,
    cpu: CpuSpent | None = None,
) -> dict[str, Any]:
    """One isolated step: its rate, its rate of 2xx answers as a share of GET /healthz's of the
    run (the ceiling), latency. `references` adds its bare app, ratio to it, target and mark.

    The ratios count only 2xx answers, so an endpoint that refuses fast does not look fast.
    Lost seat races (409 SEAT_UNAVAILABLE) are counted apart from errors.
    """
    latencies = recorder.latencies.get(endpoint, [])
    summary = summarize(latencies)
    refused = {
        (status, code): count
        for (name, status, code, _kind), count in recorder.outcomes.items()
        if name == endpoint
    }
    conflicts = refused.pop(CONFLICT, 0)
    errors = sum(refused.values())
    ok = summary.count - conflicts - errors
    ok_rate = ok / seconds if seconds > 0 else 0.0
    ratio = round(ok_rate / ceiling_per_second, 3) if ceiling_per_second else None
    return {
        "endpoint": endpoint,
        "fans": fans,
        "seconds": round(seconds, 2),
        "requests": summary.count,
        "per_second": round(summary.count / seconds, 1) if seconds > 0 else 0.0,
        "ok": ok,
        "ok_per_second": round(ok_rate, 1),
        "ratio_to_ceiling": ratio,
        "p50_ms": _ms(summary.p50),
        "p90_ms": _ms(summary.p90),
        "p99_ms": _ms(summary.p99),
        "max_ms": _ms(summary.max),
        "errors": errors,
        "conflicts": conflicts,
        "error_codes": {
            f"{status} {code}".strip(): count
            for (status, code), count in sorted(refused.items(), key=lambda item: -item[1])
        },
        "pool_ran_out_at_seconds": None if exhausted_at is None else round(exhausted_at, 2),
        "client_cpu_us_per_request": round(client_cpu_seconds / summary.count * 1e6, 1)
        if summary.count
        else None,
        "server_cpu_us_per_request": cpu.per_request_us(summary.count) if cpu else None,
    }


def _row(rows: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((row for row in rows if row["endpoint"] == name), None)


def target_rows(report: dict[str, Any], peak_worker_mib: float | None) -> list[list[Any]]:
    """Issue 6's targets for the sale: wanted, measured, and met or by how much missed.

    The per-endpoint ratios (issue 16's, each endpoint alone against its bare app) are
    `references.reference_rows`.
    """
    sale = report["sale"]
    tickets = sale["tickets_per_second_sustained"]
    rows: list[list[Any]] = [
        ["confirmed tickets/s sustained", f"≥ {TICKETS_TARGET:g}", tickets],
    ]
    rows[0].append(mark(tickets, TICKETS_TARGET))
    for name in (endpoints.HOLD, endpoints.PAY):
        row = _row(report["endpoints"], name)
        p99: float | None = None if row is None else row["p99_ms"]
        rows.append([f"p99 of {name} in the sale (ms)", f"< {P99_TARGET_MS:g}", p99])
        rows[-1].append(mark_below(p99, P99_TARGET_MS))
    clean = not report["double_sold"] and report["audit"]["ok"]
    audit = "clean" if report["audit"]["ok"] else "FAILED"
    rows.append(
        [
            "seats paid twice; audit",
            "0; clean",
            f"{len(report['double_sold'])}; {audit}",
            "met" if clean else "missed",
        ]
    )
    rows.append(
        [
            "peak RSS per worker (MiB)",
            f"< {RSS_TARGET_MIB:g}",
            peak_worker_mib,
            mark_below(peak_worker_mib, RSS_TARGET_MIB, missing="not sampled"),
        ]
    )
    return rows
