"""The rush's part of docs/benchmarks.md from a `scripts/bench` run: the run, the targets, and
a section per deployment (its figures, its endpoints alone, its endpoints during the sale).

Run by the script: `python -m boxoffice_rush.benchdoc RUN_DIR docs/benchmarks.md` rewrites only
the text between the file's rush markers (see `docsection`); without a file argument the part is
printed. RUN_DIR holds `meta.json` (what ran, where) and, per deployment, `NAME/rush.json` and
`NAME/rss.tsv`.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from boxoffice_rush import endpoints
from boxoffice_rush.docsection import splice
from boxoffice_rush.markdown import (
    SALE_CPU_PER_TICKET,
    bare_app_lines,
    batch_lines,
    connection_count,
    connection_waits,
    cpu_text,
    isolated_table,
    table,
)
from boxoffice_rush.targets import target_rows

__all__ = ["peak_rss_mib", "render", "write"]


def peak_rss_mib(lines: list[str]) -> dict[str, float]:
    """Peak resident memory per process from `epoch pid role KiB [ticks]` lines, by `role pid`."""
    peaks: defaultdict[str, float] = defaultdict(float)
    for line in lines:
        parts = line.split()
        if len(parts) < 4 or not parts[3].isdigit():
            continue
        key = f"{parts[2]} {parts[1]}"
        peaks[key] = max(peaks[key], int(parts[3]) / 1024)
    return dict(sorted(peaks.items()))


def cpu_cores(lines: list[str], ticks_per_second: int) -> dict[str, float]:
    """Average CPU use per process in cores over its sampled life, from the ticks column."""
    seen: dict[str, tuple[int, int, int, int]] = {}  # first epoch, first ticks, last epoch, last
    for line in lines:
        parts = line.split()
        if len(parts) != 5 or not (parts[0].isdigit() and parts[4].isdigit()):
            continue
        key, epoch, ticks = f"{parts[2]} {parts[1]}", int(parts[0]), int(parts[4])
        first = seen.get(key)
        seen[key] = (epoch, ticks, epoch, ticks) if first is None else (*first[:2], epoch, ticks)
    return {
        key: (last_ticks - first_ticks) / ticks_per_second / (last - first)
        for key, (first, first_ticks, last, last_ticks) in sorted(seen.items())
        if last > first
    }


def _endpoint(report: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((row for row in report["endpoints"] if row["endpoint"] == name), None)


def _rss_text(peaks: dict[str, float]) -> str:
    if not peaks:
        return "not sampled"
    return ", ".join(f"{key}: {mib:.0f} MiB" for key, mib in peaks.items())


def _cpu_text(cores: dict[str, float]) -> str:
    if not cores:
        return "not sampled"
    return ", ".join(f"{key}: {share:.2f}" for key, share in cores.items())


def _figures(
    report: dict[str, Any], samples: list[str], ticks_per_second: int, exit_code: str
) -> list[list[Any]]:
    peaks = peak_rss_mib(samples)
    sale = report["sale"]
    ceiling = report["ceiling"] or {}
    hold, pay = _endpoint(report, endpoints.HOLD), _endpoint(report, endpoints.PAY)
    retried = sum(r["count"] for r in report["responses"] if r["kind"] == "retried")
    audit = report["audit"]
    return [
        ["ceiling, GET /healthz (req/s)", ceiling.get("per_second")],
        ["bare apps (req/s)", _bare_text(report)],
        ["tickets sold / seats", f"{sale['tickets_sold']:,} / {sale['seats']:,}"],
        [
            "first sale / sold out (s from opening)",
            f"{sale['first_sale_at_seconds']} / "
            + str(sale["time_to_sell_out_seconds"] or "did not sell out"),
        ],
        ["tickets/s sustained (first to last sale)", sale["tickets_per_second_sustained"]],
        ["p99 hold / pay (ms)", f"{hold and hold['p99_ms']} / {pay and pay['p99_ms']}"],
        ["requests/s over the sale", sale["requests_per_second"]],
        [
            "requests in flight (mean) / client wait for a connection (mean ms)",
            f"{sale['mean_requests_in_flight']} of {connection_count(report['options'])} / "
            f"{connection_waits(sale)}",
        ],
        ["unexpected errors", report["errors"]],
        ["429/503 answers waited out and retried", retried],
        ["seats paid twice (client's bookkeeping)", len(report["double_sold"])],
        ["audit", "passed" if audit["ok"] else ("FAILED" if audit["ran"] else "not run")],
        ["peak RSS per process", _rss_text(peaks)],
        [
            "server CPU per process, cores (start to stop, setup included)",
            _cpu_text(cpu_cores(samples, ticks_per_second)),
        ],
        [
            "client CPU over the sale",
            f"{sale['client_cpu_seconds']} s ({sale['client_cpu_share_of_one_core']:.0%} of a "
            f"core, {sale['client_cpu_us_per_request']} µs/request)",
        ],
        [SALE_CPU_PER_TICKET, cpu_text(sale, "server_cpu_us_per_ticket") or "not measured"],
        ["fans by outcome", ", ".join(f"{k}: {v:,}" for k, v in sale["fans"].items())],
        ["rush exit code", exit_code],
    ]


def _bare_text(report: dict[str, Any]) -> str:
    apps = report.get("bare_apps") or []
    if not apps:
        return "not measured"
    workers = report["options"].get("ceiling_workers", 1)
    rates = [
        f"{row['app']}: {row['per_second']:,.1f}"
        if row["per_second"] is not None
        else f"{row['app']}: {row['note']}"
        for row in apps
    ]
    return "; ".join(rates) + f" ({workers} worker(s))"


def _samples(folder: Path) -> list[str]:
    path = folder / "rss.tsv"
    return path.read_text().splitlines() if path.exists() else []


def _alone(report: dict[str, Any]) -> list[str]:
    isolated = report.get("isolated")
    if not isolated:
        return ["Endpoints alone: not measured (`--endpoints` not given)."]
    lines = [
        f"Each endpoint alone, {isolated['seconds_per_step']:g} s each, after the ceiling and "
        "before the sale:",
        "",
        *isolated_table(isolated["endpoints"]),
        *batch_lines(isolated["endpoints"]),
    ]
    for note in isolated["notes"]:
        lines += ["", f"Note: {note}"]
    prepared = sum(r["count"] for r in isolated["preparation_responses"])
    lines += [
        "",
        f"The phase took {isolated['phase_seconds']:g} s, most of it untimed preparation "
        f"({isolated['pools']['join']:,} + {isolated['pools']['active']:,} fans provisioned); "
        f"answers other than 2xx during that preparation: {prepared:,}.",
    ]
    return lines


def _section(title: str, folder: Path, exit_code: str, ticks_per_second: int) -> list[str]:
    path = folder / "rush.json"
    if not path.exists():
        return [f"### {title}", "", f"No report: the rush exited {exit_code} before the sale.", ""]
    report = json.loads(path.read_text())
    columns = ["endpoint", "requests", "per_second", "ratio_to_ceiling", "ratio_to_reference"]
    columns += ["p50_ms", "p99_ms"]
    rows = [[r.get(column) for column in columns] for r in report["endpoints"]]
    lines = [
        f"### {title}",
        "",
        *table(
            ["figure", "value"], _figures(report, _samples(folder), ticks_per_second, exit_code)
        ),
        "",
        *_alone(report),
        "",
        "During the sale (the fans' mix: every endpoint at once, each over its own busy span):",
    ]
    headers = ["endpoint in the sale", "requests", "req/s", "× healthz", "× bare app"]
    headers += ["p50 ms", "p99 ms"]
    lines += ["", *table(headers, rows)]
    others = [
        [r["endpoint"], r["status"], r["code"], r["kind"], r["count"]] for r in report["responses"]
    ]
    if others:
        lines += ["", "Answers other than 2xx:", ""]
        lines += table(["endpoint", "status", "code", "kind", "count"], others)
    lines += ["", f"Full report: `{folder}/rush.md` (JSON and chart beside it).", ""]
    return lines


def _intro(meta: dict[str, Any]) -> list[str]:
    settings = meta.get("server_settings", [])
    lines = [
        "## Ticket rush (`scripts/bench`)",
        "",
        "Written by `scripts/bench` between the rush markers (do not edit by hand: rerun it;",
        "the rest of this file belongs to other tools). Each deployment is started on this",
        "machine on a fresh database and waiting room; `boxoffice rush --ceiling --endpoints`",
        "measures GET /healthz (the ceiling) and bare apps under the same server and worker",
        "count (one doing nothing, one Redis round trip, one PostgreSQL round trip, one of",
        "each, and a PostgreSQL round trip between two Redis ones), then each hot endpoint",
        "alone, then plays a sale, and `boxoffice audit` checks the invariants afterwards.",
        "Each endpoint is rated against the bare app making its round trips, measured right",
        "before and right after the endpoint's step (this host's speed drifts within a",
        "minute). The load generator runs on the same machine as the servers: compare",
        "figures only with the ceiling and bare apps of the same run.",
    ]
    if settings:
        lines += ["", "The servers run with these settings for the benchmark:", ""]
        lines += [f"- `{item['setting']}`: {item['why']}" for item in settings]
    return lines


def render(run_dir: Path) -> str:
    """The rush's part of the page (what goes between the markers)."""
    meta = json.loads((run_dir / "meta.json").read_text())
    lines = [
        *_intro(meta),
        "",
        *table(
            ["", ""],
            [
                ["run", meta["started_at"]],
                ["command", f"`{meta['command']}`"],
                ["size", meta["size_text"]],
                ["commit", meta["commit"]],
                ["machine", meta["machine"]],
                [
                    "load average before / after",
                    f"{meta['load_before']} / {meta.get('load_after', '?')}",
                ],
            ],
        ),
        "",
        "Rerun: `" + meta["rerun"] + "`",
        "",
    ]
    target_source: tuple[dict[str, Any], dict[str, float]] | None = None
    sections: list[str] = []
    for deployment in meta["deployments"]:
        folder = run_dir / deployment["name"]
        code = str(deployment.get("exit_code", "?"))
        sections += _section(deployment["title"], folder, code, meta.get("clk_tck", 100))
        report_path = folder / "rush.json"
        if deployment.get("targets") and report_path.exists():
            peaks = peak_rss_mib(_samples(folder))
            target_source = (json.loads(report_path.read_text()), peaks)
    if target_source is not None:
        report, peaks = target_source
        workers = [mib for key, mib in peaks.items() if key.startswith("worker")]
        lines += [
            "### Issue 6's targets for the sale (PostgreSQL + Redis, 2 workers)",
            "",
            meta["targets_note"],
            "",
            *table(
                ["target", "wanted", "measured", "verdict"],
                target_rows(report, max(workers, default=None)),
            ),
            "",
            "### Issue 16's targets: each endpoint against its bare app (same deployment)",
            "",
            *bare_app_lines(report),
            "",
        ]
    return "\n".join(lines + sections)


def write(run_dir: Path, document: Path) -> None:
    """Rewrite the rush's part of `document` (creating it, or its markers, if missing)."""
    existing = document.read_text() if document.exists() else None
    updated = splice(existing, render(run_dir))
    temporary = document.with_name(f".{document.name}.{os.getpid()}.tmp")
    temporary.write_text(updated)
    os.replace(temporary, document)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        write(Path(sys.argv[1]), Path(sys.argv[2]))
    else:
        sys.stdout.write(render(Path(sys.argv[1])))
