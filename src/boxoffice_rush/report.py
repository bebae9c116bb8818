"""The rush's report as plain data (written as JSON, rendered as Markdown). Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from boxoffice_rush import endpoints
from boxoffice_rush.audit import AuditResult
from boxoffice_rush.bare_servers import BareFigure
from boxoffice_rush.ceiling import Ceiling
from boxoffice_rush.config import RushConfig
from boxoffice_rush.isolated import IsolatedRun
from boxoffice_rush.references import bare_rates, rate_against_references, ratio_to_reference
from boxoffice_rush.sale import SaleResult
from boxoffice_rush.sampler import RoomSample
from boxoffice_rush.stats import Recorder, SalesLedger, percentile, summarize

__all__ = ["SetupSummary", "build_report", "endpoint_rows", "slots_taken", "timeline"]


@dataclass(frozen=True)
class SetupSummary:
    fans_provisioned: int
    failures: dict[str, int]
    seconds: float


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _rate(count: float, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def endpoint_rows(
    recorder: Recorder,
    ceiling_per_second: float | None,
    reference_rates: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Per endpoint: requests, throughput over the endpoint's own busy span, as a share of the
    ceiling (GET /healthz) and of its bare app's req/s (`reference_rates`), latency percentiles.

    The span runs from its first request's start to its last answer: a sale calls each
    endpoint in its own stretch of time (joins in a burst at the opening, payments later).
    """
    known = [name for name in endpoints.SALE_ORDER if name in recorder.latencies]
    others = sorted(name for name in recorder.latencies if name not in endpoints.SALE_ORDER)
    rows = []
    for name in known + others:
        summary = summarize(recorder.latencies[name])
        first, last = recorder.spans[name]
        per_second = _rate(summary.count, last - first)
        ratio = round(per_second / ceiling_per_second, 3) if ceiling_per_second else None
        rows.append(
            {
                "endpoint": name,
                "requests": summary.count,
                "span_seconds": round(last - first, 2),
                "per_second": per_second,
                "ratio_to_ceiling": ratio,
                "ratio_to_reference": ratio_to_reference(name, per_second, reference_rates or {}),
                "p50_ms": _ms(summary.p50),
                "p90_ms": _ms(summary.p90),
                "p99_ms": _ms(summary.p99),
                "max_ms": _ms(summary.max),
            }
        )
    return rows


def timeline(
    recorder: Recorder, ledger: SalesLedger, samples: Sequence[RoomSample], seconds: float
) -> list[dict[str, Any]]:
    """One row per second of the sale: requests, p99 latency, tickets sold, fans admitted, room."""
    length = max(1, math.ceil(seconds))
    sold = [0] * length
    for sale in ledger.sales:
        sold[min(length - 1, int(sale.at))] += len(sale.seat_numbers)
    last_sample: dict[int, RoomSample] = {}
    for reading in samples:
        if 0 <= reading.at < length:
            last_sample[int(reading.at)] = reading
    rows = []
    admitted_before = samples[0].admitted_total if samples else 0
    for second in range(length):
        latencies = sorted(recorder.per_second.get(second, []))
        sample = last_sample.get(second)
        admitted = 0
        if sample is not None:
            admitted = max(0, sample.admitted_total - admitted_before)
            admitted_before = sample.admitted_total
        rows.append(
            {
                "second": second,
                "requests": len(latencies),
                "p99_ms": _ms(percentile(latencies, 0.99)),
                "sold": sold[second],
                "admitted": admitted,
                "waiting": None if sample is None else sample.waiting,
                "active": None if sample is None else sample.active,
            }
        )
    return rows


def slots_taken(
    samples: Sequence[RoomSample], max_active: int, first: float | None, last: float | None
) -> dict[str, Any]:
    """The share of the line's active slots taken, on average over the room's samples from the
    first sale to the last, and how many samples that is. A sale whose slots stay (nearly) all
    taken goes at the pace its admitted fans come to use them (their next poll), not at the
    pace the shop serves them."""
    selling = [] if first is None or last is None else [s for s in samples if first <= s.at <= last]
    if not selling or max_active <= 0:
        return {"share": None, "samples": len(selling)}
    taken = sum(min(sample.active, max_active) for sample in selling) / len(selling)
    return {"share": round(taken / max_active, 3), "samples": len(selling)}


def _sale_figures(
    sale: SaleResult, recorder: Recorder, ledger: SalesLedger, max_active: int
) -> dict[str, Any]:
    times = sorted(s.at for s in ledger.sales)
    selling = times[-1] - times[0] if len(times) > 1 else 0.0
    requests = recorder.total_requests()
    sold_out_at = ledger.sold_out_at()
    return {
        "seconds": round(sale.seconds, 2),
        "stopped_by_deadline": sale.stopped_by_deadline,
        "seats": ledger.total_seats,
        "tickets_sold": ledger.tickets,
        "payments": len(ledger.sales),
        "sold_out": ledger.sold_out,
        "time_to_sell_out_seconds": None if sold_out_at is None else round(sold_out_at, 2),
        "first_sale_at_seconds": round(times[0], 2) if times else None,
        "last_sale_at_seconds": round(times[-1], 2) if times else None,
        "tickets_per_second_sustained": _rate(ledger.tickets, selling),
        "tickets_per_second_from_open": _rate(ledger.tickets, times[-1] if times else 0.0),
        "requests": requests,
        "requests_per_second": _rate(requests, sale.seconds),
        "mean_requests_in_flight": round(recorder.busy_seconds() / sale.seconds, 1)
        if sale.seconds > 0
        else 0.0,
        "active_slots_taken": slots_taken(
            sale.samples, max_active, times[0] if times else None, times[-1] if times else None
        ),
        "mean_wait_for_a_connection_ms": {
            lane: recorder.mean_slot_wait_ms(lane) for lane in sorted(recorder.slot_requests)
        },
        "fans": dict(sale.outcomes.most_common()),
        "fan_crashes": dict(sale.crashes.most_common()),
        "client_cpu_seconds": round(sale.client_cpu_seconds, 2),
        "client_cpu_share_of_one_core": round(sale.client_cpu_seconds / sale.seconds, 3)
        if sale.seconds > 0
        else 0.0,
        "client_cpu_us_per_request": round(sale.client_cpu_seconds / requests * 1e6, 1)
        if requests
        else None,
        # What the servers spent a ticket sold and a request over the whole sale, whatever
        # limited its pace: the figure a change to the stack moves even where the rate is the
        # load generator's or the line's.
        "server_cpu_us_per_ticket": sale.cpu.per_request_us(ledger.tickets) if sale.cpu else None,
        "server_cpu_us_per_request": sale.cpu.per_request_us(requests) if sale.cpu else None,
    }


def _ceiling_figures(ceiling: Ceiling) -> dict[str, Any]:
    return {
        "endpoint": endpoints.HEALTHZ,
        "requests": ceiling.requests,
        "seconds": round(ceiling.seconds, 2),
        "per_second": round(ceiling.per_second, 1),
        "p50_ms": _ms(ceiling.latency.p50),
        "p99_ms": _ms(ceiling.latency.p99),
        "errors": ceiling.errors,
        "client_cpu_seconds": round(ceiling.client_cpu_seconds, 2),
        "client_cpu_us_per_request": round(ceiling.client_cpu_seconds / ceiling.requests * 1e6, 1)
        if ceiling.requests
        else None,
        "server_cpu_us_per_request": ceiling.cpu.per_request_us(ceiling.requests)
        if ceiling.cpu
        else None,
    }


def _bare_figures(figure: BareFigure) -> dict[str, Any]:
    measured = figure.ceiling
    if measured is None:
        return {"app": figure.app.value, "per_second": None, "note": figure.note}
    return {
        "app": figure.app.value,
        "note": figure.note,
        **_ceiling_figures(measured),
        "endpoint": f"GET / of the bare app ({figure.app})",
    }


def _isolated_figures(
    run: IsolatedRun, config: RushConfig, bare_apps: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "seconds_per_step": config.endpoint_seconds,
        "phase_seconds": round(run.seconds, 1),
        "pools": run.pools,
        "timings": run.timings,
        "endpoints": rate_against_references(run.rows, bare_apps),
        "notes": run.notes,
        # The untimed preparation's answers other than 2xx (joins, claims, leaves, cancels).
        "preparation_responses": _responses(run.prep),
    }


def _responses(recorder: Recorder) -> list[dict[str, Any]]:
    return [
        {"endpoint": endpoint, "status": status, "code": code, "kind": str(kind), "count": count}
        for (endpoint, status, code, kind), count in sorted(
            recorder.outcomes.items(), key=lambda item: -item[1]
        )
    ]


def _verdict(ledger: SalesLedger, audit: AuditResult) -> dict[str, Any]:
    reasons = []
    if ledger.double_sold:
        reasons.append(f"{len(ledger.double_sold)} seats paid for twice (client's bookkeeping)")
    if audit.ran and not audit.ok:
        reasons.append(f"boxoffice audit failed (exit {audit.exit_code})")
    return {"ok": not reasons, "reasons": reasons}


def build_report(
    *,
    config: RushConfig,
    run_id: str,
    started_at: str,
    setup: SetupSummary,
    ceiling: Ceiling | None,
    sale: SaleResult,
    recorder: Recorder,
    ledger: SalesLedger,
    audit: AuditResult,
    isolated: IsolatedRun | None = None,
    bare_apps: Sequence[BareFigure] = (),
) -> dict[str, Any]:
    """Everything the rush measured, as JSON-ready data."""
    options = {k: v for k, v in asdict(config).items() if k not in ("admin_key", "audit_env")}
    options["output_dir"] = str(config.output_dir)
    ceiling_rate = ceiling.per_second if ceiling else None
    bare = [_bare_figures(figure) for figure in bare_apps]
    return {
        "run_id": run_id,
        "started_at": started_at,
        "client": "aiohttp (keep-alive, one session per URL) on uvloop",
        "options": options,
        "verdict": _verdict(ledger, audit),
        "setup": asdict(setup),
        "ceiling": _ceiling_figures(ceiling) if ceiling else None,
        "bare_apps": bare,
        "isolated": _isolated_figures(isolated, config, bare) if isolated else None,
        "sale": _sale_figures(sale, recorder, ledger, config.max_active),
        "endpoints": endpoint_rows(recorder, ceiling_rate, bare_rates(bare)),
        "errors": recorder.errors + sum(sale.crashes.values()),
        "responses": _responses(recorder),
        "double_sold": [list(entry) for entry in ledger.double_sold[:100]],
        "audit": asdict(audit),
        "timeline": timeline(recorder, ledger, sale.samples, sale.seconds),
    }
