"""The report rendered as Markdown, from the data `report.build_report` made. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boxoffice_rush.references import reference_rows

__all__ = [
    "bare_app_lines",
    "batch_lines",
    "client_bound_lines",
    "client_share",
    "isolated_table",
    "render_markdown",
    "table",
]


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def _endpoints(report: dict[str, Any]) -> list[str]:
    rows = [
        [
            row["endpoint"],
            row["requests"],
            row["per_second"],
            row["ratio_to_ceiling"],
            row.get("ratio_to_reference"),
            row["p50_ms"],
            row["p90_ms"],
            row["p99_ms"],
            row["max_ms"],
        ]
        for row in report["endpoints"]
    ]
    headers = ["endpoint", "requests", "req/s", "× healthz", "× bare app"]
    headers += ["p50 ms", "p90 ms", "p99 ms", "max ms"]
    return [
        "## Endpoints during the sale",
        "",
        "req/s is over the endpoint's own busy span (first request to last answer);",
        "× healthz divides it by GET /healthz's req/s of this run (the ceiling), × bare app by",
        "the req/s of the bare app making its round trips (see the ceiling). These rates are the",
        "fans' mix (every endpoint at once, each as often as the fans need it), not what an",
        "endpoint can do: see the endpoints alone for that.",
        "",
        *table(headers, rows),
    ]


def _slots_text(sale: dict[str, Any]) -> str:
    """The share of the line's active slots taken while the sale sold, as a percentage."""
    taken = sale["active_slots_taken"]
    if taken["share"] is None:
        return "–"
    return f"{taken['share'] * 100:.1f} % ({taken['samples']:,} sampled)"


def _sale(sale: dict[str, Any]) -> list[str]:
    rows = [
        ["seats on sale", sale["seats"]],
        ["tickets sold (201 payments)", sale["tickets_sold"]],
        ["sold out", "yes" if sale["sold_out"] else "no"],
        ["first sale (s, from opening)", sale["first_sale_at_seconds"]],
        ["time to sell out (s, from opening)", sale["time_to_sell_out_seconds"]],
        ["tickets/s sustained (first to last sale)", sale["tickets_per_second_sustained"]],
        ["tickets/s from opening to last sale", sale["tickets_per_second_from_open"]],
        ["sale duration (s)", sale["seconds"]],
        ["stopped by the deadline", "yes" if sale["stopped_by_deadline"] else "no"],
        ["requests (all endpoints)", sale["requests"]],
        ["requests/s", sale["requests_per_second"]],
        ["requests in flight, mean", sale["mean_requests_in_flight"]],
        ["wait for a client connection, mean (ms)", connection_waits(sale)],
        ["active slots taken, first to last sale (mean of the room's samples)", _slots_text(sale)],
        ["client CPU (s)", sale["client_cpu_seconds"]],
        ["client CPU, share of one core", sale["client_cpu_share_of_one_core"]],
        ["client CPU per request (µs)", sale["client_cpu_us_per_request"]],
        [SALE_CPU_PER_TICKET, cpu_text(sale, "server_cpu_us_per_ticket")],
        ["server CPU per request (µs: app + PostgreSQL + Redis + other)", cpu_text(sale)],
    ]
    fans = [[outcome, count] for outcome, count in sale["fans"].items()]
    lines = ["## Sale", "", *table(["figure", "value"], rows), "", "Fans by outcome:", ""]
    lines += table(["outcome", "fans"], fans)
    if sale["fan_crashes"]:
        crashes = [[name, count] for name, count in sale["fan_crashes"].items()]
        lines += ["", "Fans ended by a malformed answer:", "", *table(["error", "fans"], crashes)]
    return lines


def _ceiling(report: dict[str, Any]) -> list[str]:
    ceiling = report["ceiling"]
    if ceiling is None:
        return ["## Ceiling", "", "Not measured (run with `--ceiling`)."]
    headers = ["endpoint", "req/s", "seconds", "p50 ms", "p99 ms", "errors", "client CPU µs/req"]
    return [
        "## Ceiling",
        "",
        *table(headers, [_rate_row(ceiling)]),
        "",
        *bare_app_lines(report),
    ]


def _rate_row(figures: dict[str, Any]) -> list[Any]:
    columns = ("per_second", "seconds", "p50_ms", "p99_ms", "errors", "client_cpu_us_per_request")
    return [figures["endpoint"], *(figures[column] for column in columns)]


CPU_HEADER = "server CPU µs/req (app + PostgreSQL + Redis + other)"
SALE_CPU_PER_TICKET = "server CPU per ticket sold (µs: app + PostgreSQL + Redis + other)"


def cpu_text(figures: dict[str, Any] | None, per: str = "server_cpu_us_per_request") -> str | None:
    """Server CPU per request (or per what `per` names) and its parts, as `total (app +
    PostgreSQL + Redis + other)`."""
    cost = (figures or {}).get(per)
    if not cost:
        return None
    parts = " + ".join(f"{cost[part]:,.0f}" for part in ("app", "postgres", "redis", "other"))
    return f"{cost['server']:,.0f} ({parts})"


# Past this share of one core the load generator, not the server, is likely what limited a rate.
CLIENT_BOUND_SHARE = 0.85


def client_share(figures: dict[str, Any] | None) -> float | None:
    """The share of one core the load generator used while measuring `figures`."""
    if not figures or not figures.get("seconds") or figures.get("client_cpu_seconds") is None:
        return None
    return round(float(figures["client_cpu_seconds"]) / float(figures["seconds"]), 2)


def client_bound_lines(report: dict[str, Any]) -> list[str]:
    """A warning naming the rates the load generator itself may have capped, if any."""
    measured = [("GET /healthz", report.get("ceiling"))]
    measured += [(row["app"], row) for row in report.get("bare_apps") or []]
    bound = [
        f"{name} ({share:.0%} of a core)"
        for name, figures in measured
        if (share := client_share(figures)) is not None and share >= CLIENT_BOUND_SHARE
    ]
    if not bound:
        return []
    return [
        f"**Client-bound:** the load generator used most of a core measuring {', '.join(bound)}:",
        "those rates are its own limit, not the server's, and an endpoint's ratio to them is",
        "flattered. `scripts/profiling/server_compare.sh` measures the bare apps with wrk.",
        "",
    ]


def bare_app_lines(report: dict[str, Any]) -> list[str]:
    """The bare apps' figures, then each endpoint against the one making its round trips."""
    workers = report["options"].get("ceiling_workers", 1)
    columns = ("per_second", "p50_ms", "p99_ms", "errors")
    rows = [
        [
            row["app"],
            *(row.get(key) for key in columns),
            client_share(row),
            cpu_text(row),
            row.get("note"),
        ]
        for row in report.get("bare_apps") or []
    ]
    headers = [
        "bare app",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "client CPU, cores",
        CPU_HEADER,
        "",
    ]
    lines = [
        f"Bare apps (Starlette + orjson under uvicorn as `boxoffice serve` runs it, {workers}",
        "worker(s), the servers' Redis and PostgreSQL), each on a server of its own, driven",
        "like GET /healthz:",
        "",
        *table(headers, rows),
        "",
        *client_bound_lines(report),
        "Each endpoint against the bare app making its round trips (issue 16's targets; the",
        "endpoints other than GET /healthz alone, 2xx/s):",
        "",
    ]
    headers = [
        "endpoint",
        "reference (why)",
        "its req/s",
        "measured",
        "endpoint",
        "ratio",
        "ratio by server CPU/request",
        "target",
        "",
    ]
    return [
        *lines,
        *table(headers, reference_rows(report)),
        "",
        "Measured: the bare app's req/s in the ceiling above, or (the endpoints alone, with the",
        "ceiling measured) the mean of its req/s right before and right after the endpoint's",
        "step: this host's speed drifts by a fifth within a minute.",
        "",
        "Ratio by server CPU/request: the bare app's server CPU per request over the endpoint's",
        "(the machine's busy time over the timed window less the load generator's own): what",
        "an answer costs the machine, whatever capped the rate; past the client-bound share",
        "above, it is the fairer of the two ratios.",
    ]


def isolated_table(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The isolated steps' figures, each marked against its target."""
    headers = [
        "endpoint alone",
        "fans",
        "requests",
        "req/s",
        "2xx/s",
        "× healthz",
        "bare app",
        "× bare app",
        "target",
        "p50 ms",
        "p99 ms",
        "errors",
        CPU_HEADER,
        "",
    ]
    body = [
        [
            row["endpoint"],
            row["fans"],
            row["requests"],
            row["per_second"],
            row["ok_per_second"],
            row["ratio_to_ceiling"],
            row.get("reference"),
            row.get("ratio_to_reference"),
            None if row.get("target") is None else f"≥ {row['target']:g}",
            row["p50_ms"],
            row["p99_ms"],
            _errors_text(row),
            cpu_text(row),
            row.get("mark", "no target"),
        ]
        for row in rows
    ]
    return table(headers, body)


def batch_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    """What each step's batches carried, where the servers sent any (boxoffice_rush.batches)."""
    body = [
        [row["endpoint"], ", ".join(f"{name} {calls:g}" for name, calls in batches.items())]
        for row in rows
        if (batches := row.get("calls_a_batch"))
    ]
    if not body:
        return []
    return [
        "",
        "Calls a batch in each step, by the servers' /metrics: holds and payments go to",
        "PostgreSQL as one statement a batch (bx_hold, bx_settle), the waiting room's scripts to",
        "Redis as one pipeline (redis_scripts); the more calls share a batch, the less each costs.",
        "",
        *table(["endpoint alone", "calls a batch"], body),
    ]


def _errors_text(row: dict[str, Any]) -> str:
    parts = [f"{code}: {count:,}" for code, count in row["error_codes"].items()]
    if row["conflicts"]:
        parts.append(f"seat conflicts (409): {row['conflicts']:,}")
    return "; ".join(parts) if parts else "0"


def _isolated(isolated: dict[str, Any] | None) -> list[str]:
    if isolated is None:
        return ["## Endpoints alone", "", "Not measured (run with `--endpoints`)."]
    lines = [
        "## Endpoints alone",
        "",
        f"Each endpoint driven alone for {isolated['seconds_per_step']:g} s by the ceiling's",
        "client (same connections, same warm-up), on a concert of its own; × healthz and × bare",
        f"app count 2xx answers only. Fans: {isolated['pools']['join']:,} fresh to join (then",
        f"polling, still waiting), {isolated['pools']['active']:,} admitted for seat map, hold",
        "(one seat each) and pay.",
        "",
        *isolated_table(isolated["endpoints"]),
        *batch_lines(isolated["endpoints"]),
    ]
    for note in isolated["notes"]:
        lines += ["", f"Note: {note}"]
    timings = ", ".join(f"{name} {sec:g} s" for name, sec in isolated["timings"].items())
    lines += ["", f"Phase: {isolated['phase_seconds']:g} s in all ({timings})."]
    prepared = isolated["preparation_responses"]
    if prepared:
        lines += ["", "Untimed preparation, answers other than 2xx:", ""]
        rows = [[r["endpoint"], r["status"], r["code"], r["count"]] for r in prepared]
        lines += table(["endpoint", "status", "code", "count"], rows)
    return lines


def _responses(report: dict[str, Any]) -> list[str]:
    lines = [
        "## Responses other than 2xx",
        "",
        "kind: `error` is unexpected; `retried` waited Retry-After (429/503) and tried again;",
        "`expected` is a rush's normal friction (a seat race lost, no event stream).",
        "",
    ]
    rows = [
        [r["endpoint"], r["status"], r["code"], r["kind"], r["count"]] for r in report["responses"]
    ]
    if not rows:
        return [*lines, "None."]
    return [*lines, *table(["endpoint", "status", "code", "kind", "count"], rows)]


def render_markdown(report: dict[str, Any]) -> str:
    """The whole report as a Markdown document."""
    options = report["options"]
    verdict = report["verdict"]
    audit = report["audit"]
    lines = [
        f"# Rush {report['run_id']}",
        "",
        f"Started {report['started_at']} against {', '.join(options['base_urls'])}; "
        f"{options['fans']:,} fans, {options['dates']} dates × {options['seats']:,} seats; "
        f"max_active {options['max_active']:,}, admit_per_minute {options['admit_per_minute']:,}; "
        f"{options['concurrency']:,} fans and {connection_count(options)} connections per URL "
        f"in flight; client: {report['client']}.",
        "",
        f"**Verdict: {'PASS' if verdict['ok'] else 'FAIL'}**"
        + ("" if verdict["ok"] else ": " + "; ".join(verdict["reasons"])),
        "",
        f"Unexpected errors: {report['errors']:,}. Seats paid twice (client's bookkeeping): "
        f"{len(report['double_sold'])}.",
        "",
        *_sale(report["sale"]),
        "",
        *_ceiling(report),
        "",
        *_isolated(report.get("isolated")),
        "",
        *_endpoints(report),
        "",
        *_responses(report),
        "",
        "## Audit",
        "",
        "not run" if not audit["ran"] else ("passed" if audit["ok"] else "FAILED"),
        "",
        "```",
        audit["output"] or "(no output)",
        "```",
        "",
        f"Setup (not timed): {report['setup']['fans_provisioned']:,} fans provisioned in "
        f"{report['setup']['seconds']:.1f} s; failures: {report['setup']['failures'] or 'none'}.",
        "",
    ]
    return "\n".join(lines)


def connection_waits(sale: dict[str, Any]) -> str:
    """`line 12.5 / shop 0.3`: each pool's mean wait for a connection, in milliseconds."""
    waits = sale["mean_wait_for_a_connection_ms"]
    return " / ".join(f"{lane} {ms:,}" for lane, ms in waits.items()) or "none"


def connection_count(options: dict[str, Any]) -> str:
    """`64` for one shared pool, `64 + 64 (shop)` when the shop has its own."""
    shop = options.get("shop_connections", 0)
    return f"{options['connections']} + {shop} (shop)" if shop else str(options["connections"])
