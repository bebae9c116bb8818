"""Each endpoint alone, rated against the ceiling; the sale marked against issue 6's targets."""

from __future__ import annotations

from typing import Any

from boxoffice_rush.stats import Recorder
from boxoffice_rush.targets import isolated_row, mark, mark_below, target_rows

HOLD = "POST /reservations"
STATUS = "GET /queue/status"


def test_a_ratio_at_or_above_its_target_is_met() -> None:
    assert mark(0.5, 0.5) == "met"
    assert mark(0.61, 0.5) == "met"


def test_a_miss_says_by_how_much_and_how_many_times_the_rate_is_needed() -> None:
    assert mark(0.125, 0.5) == "missed by 0.375 (4.0× needed)"
    assert mark(0.0, 0.25) == "missed: nothing measured (target 0.25)"
    assert mark(None, 0.25) == "no ceiling measured"
    assert mark(0.3, None) == "no target"


def test_a_limit_is_met_strictly_below_it() -> None:
    assert mark_below(249.9, 250) == "met"
    assert mark_below(500.0, 250) == "missed by 250.0 (2.0× the limit)"
    assert mark_below(None, 250) == "not measured"


def _hold_window() -> Recorder:
    recorder = Recorder(origin=0.0)
    for i in range(90):
        recorder.record(HOLD, i / 100, 0.010, 201, "")
    for _ in range(6):
        recorder.record(HOLD, 0.5, 0.002, 409, "SEAT_UNAVAILABLE")
    for _ in range(3):
        recorder.record(HOLD, 0.6, 0.050, 500, "INTERNAL_ERROR")
    recorder.record(HOLD, 0.7, 0.001, 0, "ServerDisconnectedError")
    return recorder


def test_isolated_row_rates_only_2xx_against_the_ceiling_and_counts_conflicts_apart() -> None:
    row = isolated_row(HOLD, _hold_window(), seconds=2.0, fans=500, ceiling_per_second=450.0)
    assert row["requests"] == 100
    assert row["per_second"] == 50.0
    assert row["ok"] == 90
    assert row["ok_per_second"] == 45.0
    assert row["ratio_to_ceiling"] == 0.1
    assert row["conflicts"] == 6
    assert row["errors"] == 4
    assert row["error_codes"] == {"500 INTERNAL_ERROR": 3, "0 ServerDisconnectedError": 1}
    assert row["fans"] == 500
    assert row["pool_ran_out_at_seconds"] is None


def test_isolated_row_counts_refused_polls_as_errors_not_as_throughput() -> None:
    recorder = Recorder(origin=0.0)
    for _ in range(60):
        recorder.record(STATUS, 0.1, 0.001, 200, "")
    for _ in range(40):
        recorder.record(STATUS, 0.1, 0.001, 429, "RATE_LIMITED")
    row = isolated_row(STATUS, recorder, seconds=1.0, fans=10, ceiling_per_second=100.0)
    assert row["per_second"] == 100.0
    assert row["ratio_to_ceiling"] == 0.6
    assert row["error_codes"] == {"429 RATE_LIMITED": 40}


def test_isolated_row_without_a_ceiling_or_any_answer() -> None:
    row = isolated_row(STATUS, Recorder(0.0), seconds=0.0, fans=0, ceiling_per_second=None)
    assert row["requests"] == 0
    assert row["ratio_to_ceiling"] is None
    assert row["client_cpu_us_per_request"] is None


def _report(isolated: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "sale": {"tickets_per_second_sustained": 37.0},
        "endpoints": [
            {"endpoint": HOLD, "p99_ms": 1033.0, "ratio_to_ceiling": 0.008},
            {"endpoint": "POST /payments", "p99_ms": 120.0, "ratio_to_ceiling": 0.004},
        ],
        "double_sold": [],
        "audit": {"ok": True},
        "isolated": isolated,
    }


def test_target_rows_mark_the_sale_and_leave_the_ratios_to_the_bare_apps() -> None:
    alone = [{"endpoint": HOLD, "ratio_to_ceiling": 0.15}]
    rows = {row[0]: row[1:] for row in target_rows(_report({"endpoints": alone}), 107.1)}
    assert not [name for name in rows if "×" in name]
    assert rows["confirmed tickets/s sustained"] == ["≥ 400", 37.0, "missed by 363 (10.8× needed)"]
    assert (
        rows["p99 of POST /reservations in the sale (ms)"][2] == "missed by 783.0 (4.1× the limit)"
    )
    assert rows["p99 of POST /payments in the sale (ms)"][2] == "met"
    assert rows["seats paid twice; audit"] == ["0; clean", "0; clean", "met"]
    assert rows["peak RSS per worker (MiB)"] == ["< 200", 107.1, "met"]


def test_target_rows_without_a_memory_sample_say_so() -> None:
    rows = target_rows(_report(None), None)
    assert rows[-1][3] == "not sampled"
