"""The benchmark page's figures from the servers' samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from boxoffice_rush.audit import AuditResult
from boxoffice_rush.bare_apps import BareApp
from boxoffice_rush.bare_servers import BareFigure
from boxoffice_rush.benchdoc import cpu_cores, peak_rss_mib, render, write
from boxoffice_rush.ceiling import Ceiling
from boxoffice_rush.config import RushConfig
from boxoffice_rush.docsection import END, START
from boxoffice_rush.isolated import IsolatedRun
from boxoffice_rush.machine_cpu import CpuSpent
from boxoffice_rush.markdown import render_markdown
from boxoffice_rush.report import SetupSummary, build_report
from boxoffice_rush.sale import SaleResult
from boxoffice_rush.stats import Recorder, Sale, SalesLedger, summarize
from boxoffice_rush.targets import isolated_row

SAMPLES = [
    "100 10 supervisor 40960 50",
    "100 11 worker 102400 100",
    "101 11 worker 153600 150",
    "102 11 worker 122880 300",
    "102 10 supervisor 40960 52",
    "garbage line",
]


def test_peak_resident_memory_per_process() -> None:
    assert peak_rss_mib(SAMPLES) == {"supervisor 10": 40.0, "worker 11": 150.0}


def test_peak_reads_samples_without_a_cpu_column() -> None:
    assert peak_rss_mib(["100 7 worker 2048"]) == {"worker 7": 2.0}


def test_average_cpu_in_cores_per_process() -> None:
    cores = cpu_cores(SAMPLES, ticks_per_second=100)
    assert cores["worker 11"] == pytest.approx(1.0)  # 200 ticks in 2 s
    assert cores["supervisor 10"] == pytest.approx(0.01)


def test_a_process_seen_once_has_no_cpu_figure() -> None:
    assert cpu_cores(["100 7 worker 2048 5"], ticks_per_second=100) == {}


def _rush_report(tmp_path: Path) -> dict[str, Any]:
    config = RushConfig(("http://127.0.0.1:8000",), "admin", tmp_path, endpoints=True)
    sale = Recorder(0.0)
    sale.record("POST /reservations", 1.0, 0.3, 201, "")
    ledger = SalesLedger(1)
    ledger.record(Sale(1.5, 1, (1,), 7))
    alone = Recorder(0.0)
    for _ in range(800):
        alone.record("GET /queue/status", 0.5, 0.02, 200, "")
    isolated = IsolatedRun(
        rows=[
            isolated_row(
                "GET /queue/status", alone, seconds=1.0, fans=5000, ceiling_per_second=1000.0
            )
        ],
        notes=["POST /queue/tokens: all 10 prepared requests were sent"],
        pools={"join": 10, "active": 5},
        timings={"provisioning": 3.0},
        seconds=70.0,
    )
    return build_report(
        config=config,
        run_id="abc123",
        started_at="2026-11-27T10:00:00+00:00",
        setup=SetupSummary(1, {}, 0.1),
        ceiling=Ceiling(1000, 1.0, 1000.0, summarize([0.001]), 0, 0.1),
        sale=SaleResult(seconds=2.0, cpu=CpuSpent(2.0, 0.5, 0.3, 0.1, 1.0)),
        recorder=sale,
        ledger=ledger,
        audit=AuditResult(True, True, 0, "audit passed"),
        isolated=isolated,
        bare_apps=[
            BareFigure(BareApp.NOTHING, Ceiling(2500, 1.0, 2500.0, summarize([0.001]), 0, 0.1)),
            BareFigure(BareApp.REDIS, Ceiling(1600, 1.0, 1600.0, summarize([0.002]), 0, 0.1)),
            BareFigure(BareApp.POSTGRES, None, "not measured: exited at start: boom"),
        ],
    )


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    (run / "pg2").mkdir(parents=True)
    (run / "pg2" / "rush.json").write_text(json.dumps(_rush_report(tmp_path)))
    (run / "pg2" / "rss.tsv").write_text("\n".join(SAMPLES))
    meta = {
        "started_at": "20261127T100000Z",
        "command": "scripts/bench --only pg2",
        "rerun": "scripts/bench --only pg2",
        "size_text": "quick",
        "commit": "abc",
        "machine": "2 cores",
        "load_before": "1 1 1",
        "targets_note": "Quick size.",
        "server_settings": [{"setting": "BOXOFFICE_POLL_PACE_RATIO=0.01", "why": "never refuses"}],
        "deployments": [
            {
                "name": "pg2",
                "title": "PostgreSQL + Redis, 2 workers",
                "exit_code": "0",
                "targets": True,
            }
        ],
    }
    (run / "meta.json").write_text(json.dumps(meta))
    return run


def test_the_page_rates_endpoints_alone_against_the_targets(tmp_path: Path) -> None:
    page = render(_run_dir(tmp_path))
    assert "`BOXOFFICE_POLL_PACE_RATIO=0.01`: never refuses" in page
    why = "one Redis round trip (limits, pass and pace in one Lua step)"
    missed = "missed by 0.1 (1.2× needed)"
    assert (
        f"| GET /queue/status | one Redis ({why}) | 1,600.0 | in the ceiling | 800.0 | 0.500 | – "
        f"| ≥ 0.6 | {missed} |" in page
    )
    healthz = "| GET /healthz | bare (no I/O) | 2,500.0 | in the ceiling | 1,000.0 | 0.400 | – |"
    assert healthz in page
    assert "| POST /queue/tokens | one Redis (" in page
    # 1.5 s of the servers' CPU over the sale, for its one ticket.
    per_ticket = "server CPU per ticket sold (µs: app + PostgreSQL + Redis + other)"
    assert f"| {per_ticket} | 1,500,000 (1,000,000 + 300,000 + 100,000 + 100,000) |" in page
    joined = "| 1,600.0 | in the ceiling | – | – | – | ≥ 0.5 | not measured |"
    assert joined in page  # join: its app ran, it did not
    hold = "| POST /reservations | one Redis + one PostgreSQL ("
    assert hold in page
    assert "| – | – | – | – | – | ≥ 0.5 | one Redis + one PostgreSQL app not measured |" in page
    assert (
        "bare apps (req/s) | bare: 2,500.0; one Redis: 1,600.0; one PostgreSQL: not measured"
        in page
    )
    assert (
        "| GET /queue/status | 5,000 | 800 | 800.0 | 800.0 | 0.800 | one Redis | 0.500 | ≥ 0.6 |"
        in page
    )
    assert "Note: POST /queue/tokens: all 10 prepared requests were sent" in page
    assert "endpoint in the sale" in page


def test_writing_the_page_keeps_every_other_part_of_the_file(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    other = "<!-- queue-depth:start -->\n## Waiting room at depth\n<!-- queue-depth:end -->\n"
    doc.write_text(f"# Benchmarks\n\n{START}\nold\n{END}\n\n{other}")
    write(_run_dir(tmp_path), doc)
    text = doc.read_text()
    assert text.startswith(f"# Benchmarks\n\n{START}\n## Ticket rush")
    assert text.endswith(f"{END}\n\n{other}")
    assert "\nold\n" not in text
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_writing_creates_a_missing_page(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    write(_run_dir(tmp_path), doc)
    assert doc.read_text().startswith(f"# Benchmarks\n\n{START}\n")
    assert doc.read_text().endswith(f"{END}\n")


def test_the_rush_report_shows_the_endpoints_alone_with_their_verdicts(tmp_path: Path) -> None:
    markdown = render_markdown(_rush_report(tmp_path))
    assert "## Endpoints alone" in markdown
    assert (
        "| GET /queue/status | 5,000 | 800 | 800.0 | 800.0 | 0.800 | one Redis | 0.500 |"
        in markdown
    )
    not_measured = (
        "| one PostgreSQL | – | – | – | – | – | – | not measured: exited at start: boom |"
    )
    assert not_measured in markdown
    assert "| missed by 0.1 (1.2× needed) |" in markdown
    assert "## Endpoints during the sale" in markdown
    assert "Phase: 70 s in all (provisioning 3 s)." in markdown
