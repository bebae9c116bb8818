"""Each endpoint against the bare app making the round trips it makes (issue 16's targets). Pure.

Which bare app is an endpoint's reference, from what its route does on PostgreSQL + Redis:

- GET /healthz answers from memory: the app that does nothing.
- A status poll is one step of the waiting room's store (limits, pass and pacing in one Lua
  call): one Redis round trip.
- A seat map checks the pass in Redis, then answers a map cached per process for about a second
  (rebuilt from PostgreSQL about once a second, not once a request): one Redis round trip.
- A join counts on its limits and joins in one Lua call: one Redis round trip (its target is
  lower than a status poll's, as the issue asks: a join writes the line).
- A hold checks the pass in Redis, then runs one PostgreSQL statement (bx_hold): against the app
  making one Redis and one PostgreSQL round trip.
- A payment checks the pass in Redis, runs one statement (bx_settle), then uses the pass up in
  Redis (after the commit, so that the pass outlives a payment that failed): against the app
  making a Redis, a PostgreSQL and a Redis round trip, in that order.

An endpoint alone is rated against its app as measured right before and right after its step
(`beside`, the mean of the two), when the run measured it there; else against the ceiling's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from boxoffice_rush import endpoints
from boxoffice_rush.bare_apps import BareApp
from boxoffice_rush.bare_servers import BareFigure
from boxoffice_rush.targets import mark

__all__ = [
    "REFERENCES",
    "Reference",
    "bare_rates",
    "beside_figures",
    "rate_against_references",
    "ratio_to_reference",
    "reference_rows",
]


class Reference(NamedTuple):
    app: BareApp
    target: float  # the endpoint's 2xx/s as a share of the app's req/s, at least
    why: str


REFERENCES: dict[str, Reference] = {
    endpoints.HEALTHZ: Reference(BareApp.NOTHING, 0.7, "no I/O"),
    endpoints.STATUS: Reference(
        BareApp.REDIS, 0.6, "one Redis round trip (limits, pass and pace in one Lua step)"
    ),
    endpoints.SEATS: Reference(
        BareApp.REDIS,
        0.6,
        "the pass checked in Redis; the map is cached per process, rebuilt from PostgreSQL "
        "about once a second",
    ),
    endpoints.JOIN: Reference(
        BareApp.REDIS, 0.5, "one Redis round trip (limits and the join in one Lua step)"
    ),
    endpoints.HOLD: Reference(
        BareApp.REDIS_POSTGRES,
        0.5,
        "the pass checked in Redis, then one PostgreSQL statement (bx_hold)",
    ),
    endpoints.PAY: Reference(
        BareApp.REDIS_POSTGRES_REDIS,
        0.5,
        "the pass checked in Redis, one PostgreSQL statement (bx_settle), the pass used up "
        "in Redis",
    ),
}


def bare_rates(bare_apps: Sequence[dict[str, Any]]) -> dict[str, float]:
    """req/s of each bare app measured, by its name."""
    return {row["app"]: row["per_second"] for row in bare_apps if row["per_second"] is not None}


def bare_cpu(bare_apps: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Server CPU µs per request of each bare app measured, by its name."""
    return {
        row["app"]: row["server_cpu_us_per_request"]["server"]
        for row in bare_apps
        if row.get("server_cpu_us_per_request")
    }


def cpu_ratio(row: dict[str, Any] | None, reference_us: float | None) -> float | None:
    """The reference app's server CPU per request over `row`'s: 0.5 means an answer costs the
    machine twice what the bare app's does, whatever capped either rate."""
    cost = (row or {}).get("server_cpu_us_per_request")
    if not cost or not cost["server"] or not reference_us:
        return None
    return round(reference_us / float(cost["server"]), 3)


def beside_figures(before: BareFigure, after: BareFigure) -> dict[str, Any] | None:
    """The reference app's req/s and server CPU µs per request right before and right after a
    step, and their means; None unless both were measured."""
    measured = [figure.ceiling for figure in (before, after) if figure.ceiling is not None]
    if len(measured) < 2:
        return None
    rates = [figure.per_second for figure in measured]
    costs = [
        cost["server"]
        for figure in measured
        if figure.cpu and (cost := figure.cpu.per_request_us(figure.requests))
    ]
    return {
        "app": before.app.value,
        "per_second": [round(rate, 1) for rate in rates],
        "mean_per_second": round(sum(rates) / 2, 1),
        "server_cpu_us_per_request": round(sum(costs) / 2, 1) if len(costs) == 2 else None,
    }


def _reference_figures(
    row: dict[str, Any], app: BareApp, rates: Mapping[str, float], costs: Mapping[str, float]
) -> tuple[float | None, float | None, str]:
    """The reference's req/s and server CPU µs per request for an endpoint alone, and where
    they were measured: beside its step if they were, else in the ceiling."""
    beside = row.get("beside")
    if beside:
        return beside["mean_per_second"], beside["server_cpu_us_per_request"], "beside the step"
    return rates.get(app.value), costs.get(app.value), "in the ceiling"


def ratio_to_reference(
    endpoint: str, per_second: float, rates: Mapping[str, float]
) -> float | None:
    """`per_second` as a share of the req/s of `endpoint`'s bare app, if it has one measured."""
    reference = REFERENCES.get(endpoint)
    return _ratio(per_second, rates.get(reference.app.value) if reference else None)


def _ratio(per_second: float | None, rate: float | None) -> float | None:
    return round(per_second / rate, 3) if per_second is not None and rate else None


def _missing(app: BareApp, bare_apps: Sequence[dict[str, Any]]) -> str:
    if not bare_apps:
        return "no bare apps measured (run with --ceiling)"
    row = next((row for row in bare_apps if row["app"] == app.value), None)
    return f"{app} app {row['note'] if row and row['note'] else 'not measured'}"


def rate_against_references(
    rows: Sequence[dict[str, Any]], bare_apps: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The isolated steps' rows, each with its reference app, that app's req/s, the ratio of
    the step's 2xx/s to it, the ratio by server CPU per request, the target and its mark."""
    rates = bare_rates(bare_apps)
    costs = bare_cpu(bare_apps)
    rated = []
    for row in rows:
        reference = REFERENCES.get(row["endpoint"])
        if reference is None:
            rated.append({**row, "reference": None, "ratio_to_reference": None})
            continue
        rate, cost, where = _reference_figures(row, reference.app, rates, costs)
        ratio = _ratio(row["ok_per_second"], rate)
        rated.append(
            {
                **row,
                "reference": reference.app.value,
                "reference_per_second": rate,
                "reference_measured": where,
                "ratio_to_reference": ratio,
                "cpu_ratio_to_reference": cpu_ratio(row, cost),
                "target": reference.target,
                "mark": mark(ratio, reference.target, missing=_missing(reference.app, bare_apps)),
            }
        )
    return rated


def reference_rows(report: dict[str, Any]) -> list[list[Any]]:
    """Issue 16's targets: endpoint, its reference app and why, the app's req/s and where it
    was measured, the endpoint's 2xx/s (GET /healthz: the ceiling's req/s), the ratio, the ratio
    of server CPU per request (the reference's over the endpoint's), the target and its mark (by
    req/s)."""
    bare_apps = report.get("bare_apps") or []
    rates = bare_rates(bare_apps)
    costs = bare_cpu(bare_apps)
    isolated = report.get("isolated")
    alone = {row["endpoint"]: row for row in (isolated["endpoints"] if isolated else [])}
    ceiling = report.get("ceiling")
    rows = []
    for name, reference in REFERENCES.items():
        figures = ceiling if name == endpoints.HEALTHZ else alone.get(name)
        rate, cost, where = _reference_figures(figures or {}, reference.app, rates, costs)
        rate_key = "per_second" if name == endpoints.HEALTHZ else "ok_per_second"
        measured: float | None = figures[rate_key] if figures else None
        ratio = _ratio(measured, rate)
        missing = _missing(reference.app, bare_apps) if not rate else "not measured"
        if measured is None and name != endpoints.HEALTHZ and not isolated:
            missing = "not measured (run with --endpoints)"
        beside = (figures or {}).get("beside")
        if beside:
            before, after = (f"{value:,.1f}" for value in beside["per_second"])
            where = f"{where} ({before} before, {after} after)"
        rows.append(
            [
                name,
                f"{reference.app} ({reference.why})",
                rate,
                where if rate else None,
                measured,
                ratio,
                cpu_ratio(figures, cost),
                f"≥ {reference.target:g}",
                mark(ratio, reference.target, missing=missing),
            ]
        )
    return rows
