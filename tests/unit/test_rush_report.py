"""The report: per-endpoint rows, the timeline, the verdict, and its Markdown."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from boxoffice_rush.audit import AuditResult
from boxoffice_rush.ceiling import Ceiling
from boxoffice_rush.config import RushConfig
from boxoffice_rush.machine_cpu import CpuSpent
from boxoffice_rush.markdown import render_markdown, table
from boxoffice_rush.report import SetupSummary, build_report, endpoint_rows, slots_taken, timeline
from boxoffice_rush.sale import SaleResult
from boxoffice_rush.sampler import RoomSample
from boxoffice_rush.stats import Recorder, Sale, SalesLedger, summarize

PASSED = AuditResult(True, True, 0, "audit passed")


def _recorder() -> Recorder:
    recorder = Recorder(origin=0.0)
    for i in range(100):
        recorder.record("POST /queue/tokens", i / 100, 0.010, 201, "")
    for i in range(50):
        recorder.record("POST /payments", 2 + i / 10, 0.100, 201, "")
    recorder.record("POST /reservations", 2.0, 0.05, 409, "SEAT_UNAVAILABLE")
    recorder.record("POST /payments", 3.0, 0.2, 500, "INTERNAL_ERROR")
    return recorder


def _ledger() -> SalesLedger:
    ledger = SalesLedger(total_seats=4)
    ledger.record(Sale(2.0, 1, (1, 2), 10))
    ledger.record(Sale(6.0, 1, (3, 4), 11))
    return ledger


def _report(
    tmp_path: Path, ledger: SalesLedger, audit: AuditResult, cpu: CpuSpent | None = None
) -> dict[str, object]:
    config = RushConfig(("http://127.0.0.1:8000",), "secret-admin", tmp_path, dates=1, seats=4)
    sale = SaleResult(
        seconds=8.0,
        outcomes=Counter({"paid": 2, "sold out": 3}),
        samples=[RoomSample(0.2, 5, 0, 0), RoomSample(1.1, 2, 3, 3), RoomSample(2.6, 0, 1, 5)],
        client_cpu_seconds=0.5,
        cpu=cpu,
    )
    ceiling = Ceiling(1000, 2.0, 500.0, summarize([0.001, 0.002]), 0, 0.1)
    return build_report(
        config=config,
        run_id="abc123",
        started_at="2026-11-27T10:00:00+00:00",
        setup=SetupSummary(5, {}, 1.5),
        ceiling=ceiling,
        sale=sale,
        recorder=_recorder(),
        ledger=ledger,
        audit=audit,
    )


def test_endpoint_rows_follow_the_fans_path_with_ratio_to_the_ceiling() -> None:
    rows = endpoint_rows(_recorder(), ceiling_per_second=1000.0)
    assert [row["endpoint"] for row in rows] == [
        "POST /queue/tokens",
        "POST /reservations",
        "POST /payments",
    ]
    join = rows[0]
    assert join["requests"] == 100
    assert join["per_second"] == pytest.approx(100 / 1.0, rel=0.01)
    assert join["ratio_to_ceiling"] == pytest.approx(0.1, rel=0.01)
    assert join["p99_ms"] == 10.0


def test_without_a_ceiling_there_is_no_ratio() -> None:
    assert all(row["ratio_to_ceiling"] is None for row in endpoint_rows(_recorder(), None))


def test_timeline_has_sales_admissions_and_the_room_per_second() -> None:
    samples = [RoomSample(0.2, 5, 0, 0), RoomSample(1.1, 2, 3, 3), RoomSample(2.6, 0, 1, 5)]
    rows = timeline(_recorder(), _ledger(), samples, seconds=7.5)
    assert len(rows) == 8
    assert [row["sold"] for row in rows] == [0, 0, 2, 0, 0, 0, 2, 0]
    assert [row["admitted"] for row in rows[:4]] == [0, 3, 2, 0]
    assert rows[1]["waiting"] == 2
    assert rows[3]["waiting"] is None
    assert rows[0]["requests"] == 100


def test_slots_taken_is_the_mean_share_between_the_first_and_the_last_sale() -> None:
    samples = [
        RoomSample(1.0, 9, 0, 0),  # before the first sale
        RoomSample(2.5, 9, 5, 1),
        RoomSample(4.0, 9, 4, 2),  # a slot free
        RoomSample(5.5, 9, 6, 3),  # past max_active (the limit lowered meanwhile): all taken
        RoomSample(7.0, 9, 0, 4),  # after the last
    ]
    assert slots_taken(samples, 5, 2.0, 6.0) == {"share": 0.933, "samples": 3}
    assert slots_taken(samples, 10, 2.0, 6.0) == {"share": 0.5, "samples": 3}
    assert slots_taken(samples, 5, None, None) == {"share": None, "samples": 0}
    assert slots_taken(samples, 5, 8.0, 9.0) == {"share": None, "samples": 0}


def test_report_figures_and_a_passing_verdict(tmp_path: Path) -> None:
    report = _report(tmp_path, _ledger(), PASSED)
    sale = report["sale"]
    assert isinstance(sale, dict)
    assert sale["tickets_sold"] == 4
    assert sale["sold_out"] is True
    assert sale["time_to_sell_out_seconds"] == 6.0
    assert sale["tickets_per_second_sustained"] == 1.0  # 4 tickets from t=2 to t=6
    # One room sample (at 2.6 s) between the sales, one active of the default 300 slots.
    assert sale["active_slots_taken"] == {"share": 0.003, "samples": 1}
    assert report["verdict"] == {"ok": True, "reasons": []}
    assert report["errors"] == 1
    assert "secret-admin" not in json.dumps(report)


def test_a_failed_audit_fails_the_rush(tmp_path: Path) -> None:
    report = _report(tmp_path, _ledger(), AuditResult(True, False, 1, "FAIL  1. ..."))
    assert report["verdict"] == {"ok": False, "reasons": ["boxoffice audit failed (exit 1)"]}


def test_a_seat_sold_twice_fails_the_rush(tmp_path: Path) -> None:
    ledger = _ledger()
    ledger.record(Sale(7.0, 1, (4,), 12))
    verdict = _report(tmp_path, ledger, PASSED)["verdict"]
    assert verdict == {"ok": False, "reasons": ["1 seats paid for twice (client's bookkeeping)"]}


def test_markdown_shows_verdict_tables_and_audit(tmp_path: Path) -> None:
    markdown = render_markdown(_report(tmp_path, _ledger(), PASSED))  # type: ignore[arg-type]
    assert "**Verdict: PASS**" in markdown
    assert "| POST /payments | 51 |" in markdown
    assert "| POST /payments | 500 | INTERNAL_ERROR | error | 1 |" in markdown
    assert "| GET /healthz | 500.0 |" in markdown
    assert "first to last sale (mean of the room's samples) | 0.3 % (1 sampled) |" in markdown
    assert "audit passed" in markdown


def test_table_escapes_pipes_and_formats_numbers() -> None:
    assert table(["a", "b"], [["x|y", 12345], [None, 0.5]]) == [
        "| a | b |",
        "| --- | --- |",
        "| x\\|y | 12,345 |",
        "| – | 0.500 |",
    ]


def test_the_sale_gives_the_servers_cpu_per_ticket_and_per_request(tmp_path: Path) -> None:
    # 152 requests, 4 tickets; the machine busy 2.6 s of which the load generator 0.5 s.
    cpu = CpuSpent(machine=2.6, client=0.5, postgres=0.8, redis=0.2, app=1.0)
    report = _report(tmp_path, _ledger(), PASSED, cpu)
    sale = report["sale"]
    assert isinstance(sale, dict)
    per_ticket = sale["server_cpu_us_per_ticket"]
    assert per_ticket == {
        "server": 525_000.0,  # (2.6 - 0.5) s / 4 tickets
        "app": 250_000.0,
        "postgres": 200_000.0,
        "redis": 50_000.0,
        "other": 25_000.0,
    }
    assert sale["server_cpu_us_per_request"]["server"] == pytest.approx(2.1 / 152 * 1e6, abs=0.1)
    markdown = render_markdown(report)  # type: ignore[arg-type]
    assert (
        "| server CPU per ticket sold (µs: app + PostgreSQL + Redis + other) "
        "| 525,000 (250,000 + 200,000 + 50,000 + 25,000) |" in markdown
    )


def test_without_the_machines_figures_the_sale_has_no_server_cpu(tmp_path: Path) -> None:
    sale = _report(tmp_path, _ledger(), PASSED)["sale"]
    assert isinstance(sale, dict)
    assert sale["server_cpu_us_per_ticket"] is None
    assert sale["server_cpu_us_per_request"] is None
