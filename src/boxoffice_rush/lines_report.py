"""The report of `boxoffice rush --lines N`: each line's sale, and the quiet line alone and
beside the sales (lines.md and lines.json in the output folder)."""

from __future__ import annotations

from typing import Any

from boxoffice_rush import endpoints
from boxoffice_rush.audit import AuditResult
from boxoffice_rush.config import RushConfig
from boxoffice_rush.fan import FanOutcome
from boxoffice_rush.lines import (
    QUIET_JOINS_PER_SECOND,
    QUIET_POLLS_PER_SECOND,
    LineRun,
    LinesRun,
    QuietPhase,
)
from boxoffice_rush.stats import LatencySummary, summarize

__all__ = ["build_lines_report", "render_lines_markdown"]

_TIMED = (endpoints.JOIN, endpoints.STATUS, endpoints.HOLD, endpoints.PAY)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _latency(summary: LatencySummary) -> dict[str, float | int]:
    return {"count": summary.count, "p50_ms": _ms(summary.p50), "p99_ms": _ms(summary.p99)}


def _line(line: LineRun) -> dict[str, Any]:
    sale = line.sale
    seconds = sale.seconds if sale else 0.0
    errors = line.recorder.errors + (sum(sale.crashes.values()) if sale else 0)
    return {
        "line": line.line,
        "concert_id": line.concert_id,
        "fans": line.fans,
        "paid": sale.outcomes[FanOutcome.PAID] if sale else 0,
        "tickets_sold": line.ledger.tickets,
        "seats": line.ledger.total_seats,
        "sold_out_at_s": line.ledger.sold_out_at(),
        "seconds": round(seconds, 2),
        "tickets_per_second": round(line.ledger.tickets / seconds, 1) if seconds else 0.0,
        "double_sold": len(line.ledger.double_sold),
        "errors": errors,
        "latency": {name: _latency(summarize(line.recorder.latencies[name])) for name in _TIMED},
    }


def _quiet(phase: QuietPhase) -> dict[str, Any]:
    return {
        "phase": phase.name,
        "join": _latency(phase.join),
        "status": _latency(phase.status),
        "admitted": _latency(phase.admitted),
        "errors": phase.errors,
        "lines_then": [
            {"waiting": waiting, "active": active} for waiting, active in phase.lines_then
        ],
        "probe_late_p99_ms": _ms(phase.late_p99),
    }


def build_lines_report(
    config: RushConfig, run_id: str, started_at: str, run: LinesRun, audit: AuditResult
) -> dict[str, Any]:
    lines = [_line(line) for line in run.lines]
    quiet = [_quiet(phase) for phase in run.quiet]
    alone, beside = run.quiet  # measure_lines times the quiet line twice
    ratios = {
        name: round(getattr(beside, name).p99 / getattr(alone, name).p99, 2)
        if getattr(alone, name).p99
        else None
        for name in ("join", "status", "admitted")
    }
    failures = [
        f"line {line['line']}: {line['errors']} errors" for line in lines if line["errors"]
    ] + [f"line {line['line']}: seats sold twice" for line in lines if line["double_sold"]]
    failures += [
        f"quiet line {phase['phase']}: {phase['errors']}" for phase in quiet if phase["errors"]
    ]
    if audit.ran and not audit.ok:
        failures.append("audit failed")
    return {
        "run_id": run_id,
        "started_at": started_at,
        "options": {
            "lines": config.lines,
            "fans": config.fans,
            "dates_per_line": config.dates,
            "seats_per_date": config.seats,
            "max_active": config.max_active,
            "admit_per_minute": config.admit_per_minute,
            "quiet_seconds": config.quiet_seconds,
            "quiet_joins_per_second": QUIET_JOINS_PER_SECOND,
            "quiet_polls_per_second": QUIET_POLLS_PER_SECOND,
            "urls": list(config.base_urls),
        },
        "seconds": round(run.seconds, 2),
        "lines": lines,
        "quiet_concert_id": run.quiet_concert_id,
        "quiet": quiet,
        "quiet_p99_beside_over_alone": ratios,
        "audit": {"ran": audit.ran, "ok": audit.ok, "output": audit.output[-2000:]},
        "verdict": {"ok": not failures, "failures": failures},
    }


def render_lines_markdown(report: dict[str, Any]) -> str:
    options = report["options"]
    out = [
        f"# Rush {report['run_id']}: {options['lines']} sales at once, each with a line of its own",
        "",
        f"Started {report['started_at']}; {options['fans']:,} fans dealt round-robin to the "
        f"lines; each line a concert of {options['dates_per_line']} x "
        f"{options['seats_per_date']:,} seats, max_active {options['max_active']:,}, "
        f"admit_per_minute {options['admit_per_minute']:,}; against "
        f"{', '.join(options['urls'])}.",
        "",
        "## Each line's sale",
        "",
        "| line | concert | fans | paid | tickets sold | seconds | tickets/s | sold out at s "
        "| join p99 ms | status p99 ms | hold p99 ms | pay p99 ms | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for line in report["lines"]:
        latency = line["latency"]
        sold_out = line["sold_out_at_s"]
        out.append(
            f"| {line['line']} | {line['concert_id']} | {line['fans']:,} | {line['paid']:,} "
            f"| {line['tickets_sold']:,} / {line['seats']:,} | {line['seconds']} "
            f"| {line['tickets_per_second']} | {'–' if sold_out is None else round(sold_out, 1)} "
            f"| {latency[endpoints.JOIN]['p99_ms']} | {latency[endpoints.STATUS]['p99_ms']} "
            f"| {latency[endpoints.HOLD]['p99_ms']} | {latency[endpoints.PAY]['p99_ms']} "
            f"| {line['errors']} |"
        )
    out += [
        "",
        f"## The quiet line (concert {report['quiet_concert_id']}), alone and beside the sales",
        "",
        f"Joins (each left again) at {options['quiet_joins_per_second']:g}/s and status polls "
        f"of admitted passes at {options['quiet_polls_per_second']:g}/s, "
        f"for {options['quiet_seconds']:g} s each phase, timed from their scheduled send; "
        "each join is followed until its pass is ACTIVE (read every 50 ms), then left.",
        "",
        "| phase | joins | join p50 ms | join p99 ms | let in p99 ms | polls | status p50 ms "
        "| status p99 ms | errors | sales' lines then (waiting / active) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for phase in report["quiet"]:
        join, status, admitted = phase["join"], phase["status"], phase["admitted"]
        then = ", ".join(f"{x['waiting']:,} / {x['active']:,}" for x in phase["lines_then"])
        out.append(
            f"| {phase['phase']} | {join['count']} | {join['p50_ms']} | {join['p99_ms']} "
            f"| {admitted['p99_ms']} | {status['count']} | {status['p50_ms']} "
            f"| {status['p99_ms']} | {phase['errors'] or 0} | {then or '–'} |"
        )
    ratios = report["quiet_p99_beside_over_alone"]
    out += [
        "",
        f"p99 beside the sales / alone: join {ratios['join']}, status {ratios['status']}, "
        f"let in {ratios['admitted']}. The lines share nothing but the machine: a quiet fan "
        "is let in by the quiet line's own admission, whatever waits in the others.",
        "",
        f"Audit: {'clean' if report['audit']['ok'] else 'FAILED'}"
        f"{'' if report['audit']['ran'] else ' (not run)'}.",
        "",
        f"Verdict: {'passed' if report['verdict']['ok'] else 'FAILED'}"
        + "".join(f"\n- {failure}" for failure in report["verdict"]["failures"]),
        "",
    ]
    return "\n".join(out)
