"""`boxoffice rush --lines N`: fans dealt to the lines, the options it refuses, its report."""

from __future__ import annotations

from pathlib import Path

import pytest

from boxoffice_rush import endpoints
from boxoffice_rush.audit import AuditResult
from boxoffice_rush.config import RushConfig
from boxoffice_rush.fan import FanAccount, FanOutcome
from boxoffice_rush.lines import LineRun, LinesRun, QuietPhase, deal
from boxoffice_rush.lines_report import build_lines_report, render_lines_markdown
from boxoffice_rush.sale import SaleResult
from boxoffice_rush.stats import Recorder, Sale, SalesLedger, summarize


def _config(tmp_path: Path, **options: object) -> RushConfig:
    return RushConfig(("http://127.0.0.1:8000",), "key", tmp_path, **options)  # type: ignore[arg-type]


def test_fans_are_dealt_to_the_lines_in_turn() -> None:
    accounts = [FanAccount(i, {}) for i in range(7)]
    dealt = deal(accounts, 3)
    assert [[a.index for a in line] for line in dealt] == [[0, 3, 6], [1, 4], [2, 5]]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"lines": 0}, "lines must be at least 1"),
        ({"lines": 2, "ceiling": True}, "--lines plays sales only"),
        ({"lines": 2, "endpoints": True}, "--lines plays sales only"),
        ({"lines": 5, "fans": 4}, "every line needs a fan"),
        ({"lines": 2, "quiet_seconds": 0}, "quiet_seconds positive"),
    ],
)
def test_options_that_cannot_be_played_are_refused(
    tmp_path: Path, options: dict[str, object], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        _config(tmp_path, **options)


def _line(number: int, tickets: int, *, errors: int = 0, twice: bool = False) -> LineRun:
    recorder = Recorder(0.0)
    recorder.record(endpoints.JOIN, 0.0, 0.010, 201, "")
    recorder.record(endpoints.STATUS, 0.0, 0.020, 200, "")
    recorder.errors = errors
    ledger = SalesLedger(total_seats=4)
    ledger.record(Sale(0.5, 1, tuple(range(1, tickets + 1)), number * 10))
    if twice:
        ledger.record(Sale(0.6, 1, (1,), number * 10 + 1))  # seat 1 again
    sale = SaleResult(seconds=2.0)
    sale.outcomes[FanOutcome.PAID] = 1
    return LineRun(number, number, 10, recorder, ledger, sale)


def _phase(name: str, join_ms: float) -> QuietPhase:
    return QuietPhase(
        name,
        summarize([join_ms / 1000] * 10),
        summarize([0.004] * 10),
        summarize([0.05] * 10),
        {},
        0.001,
        [(800, 100)] if name != "alone" else [],
    )


def _report(tmp_path: Path, lines: list[LineRun], audit_ok: bool = True) -> dict[str, object]:
    run = LinesRun(lines, 9, [_phase("alone", 2.0), _phase("beside the sales", 8.0)], 3.0)
    audit = AuditResult(True, audit_ok, 0 if audit_ok else 1, "")
    return build_lines_report(_config(tmp_path, lines=2), "abc123", "now", run, audit)


def test_the_report_gives_each_line_and_the_quiet_line_alone_and_beside(tmp_path: Path) -> None:
    report = _report(tmp_path, [_line(1, 4), _line(2, 3)])
    assert report["verdict"] == {"ok": True, "failures": []}
    lines = report["lines"]
    assert isinstance(lines, list)
    assert [(line["line"], line["tickets_sold"], line["tickets_per_second"]) for line in lines] == [
        (1, 4, 2.0),
        (2, 3, 1.5),
    ]
    assert lines[0]["latency"][endpoints.STATUS]["p99_ms"] == 20.0
    assert report["quiet_p99_beside_over_alone"] == {"join": 4.0, "status": 1.0, "admitted": 1.0}
    markdown = render_lines_markdown(report)
    assert "| 1 | 1 | 10 | 1 | 4 / 4 |" in markdown
    assert "| beside the sales | 10 | 8.0 | 8.0 | 50.0 |" in markdown
    assert "800 / 100" in markdown
    assert "Verdict: passed" in markdown


@pytest.mark.parametrize(
    ("lines", "audit_ok", "failure"),
    [
        ([_line(1, 4, errors=2), _line(2, 4)], True, "line 1: 2 errors"),
        ([_line(1, 4), _line(2, 2, twice=True)], True, "line 2: seats sold twice"),
        ([_line(1, 4), _line(2, 4)], False, "audit failed"),
    ],
)
def test_errors_a_seat_sold_twice_or_a_failed_audit_fail_the_run(
    tmp_path: Path, lines: list[LineRun], audit_ok: bool, failure: str
) -> None:
    report = _report(tmp_path, lines, audit_ok)
    verdict = report["verdict"]
    assert isinstance(verdict, dict)
    assert verdict["ok"] is False
    assert failure in verdict["failures"]
    assert "Verdict: FAILED" in render_lines_markdown(report)
