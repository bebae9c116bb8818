"""Each endpoint rated against the bare app making the round trips it makes (issue 16), and a
rate the load generator itself may have capped named as such."""

from __future__ import annotations

from typing import Any

from boxoffice_rush import endpoints
from boxoffice_rush.bare_apps import BareApp
from boxoffice_rush.bare_servers import BareFigure
from boxoffice_rush.ceiling import Ceiling
from boxoffice_rush.machine_cpu import CpuSpent
from boxoffice_rush.markdown import bare_app_lines, client_bound_lines, client_share
from boxoffice_rush.references import beside_figures, rate_against_references, reference_rows
from boxoffice_rush.stats import summarize

BARE = [
    {"app": "bare", "per_second": 10_000.0, "note": ""},
    {"app": "one Redis", "per_second": 4_000.0, "note": ""},
    {"app": "one PostgreSQL", "per_second": 3_000.0, "note": ""},
    {"app": "one Redis + one PostgreSQL", "per_second": 2_000.0, "note": ""},
    {"app": "two Redis + one PostgreSQL", "per_second": 1_800.0, "note": ""},
]


def _alone(endpoint: str, ok_per_second: float) -> dict[str, Any]:
    return {"endpoint": endpoint, "ok_per_second": ok_per_second, "ratio_to_ceiling": 0.1}


def test_each_endpoint_is_compared_with_the_app_making_its_round_trips() -> None:
    rows = rate_against_references(
        [
            _alone(endpoints.STATUS, 2_400.0),
            _alone(endpoints.SEATS, 2_000.0),
            _alone(endpoints.JOIN, 2_000.0),
            _alone(endpoints.HOLD, 1_000.0),
            _alone(endpoints.PAY, 900.0),
        ],
        BARE,
    )
    by_name = {row["endpoint"]: row for row in rows}
    assert by_name[endpoints.STATUS]["reference"] == "one Redis"
    assert by_name[endpoints.STATUS]["ratio_to_reference"] == 0.6
    assert by_name[endpoints.STATUS]["mark"] == "met"
    assert by_name[endpoints.SEATS]["ratio_to_reference"] == 0.5
    assert by_name[endpoints.SEATS]["mark"] == "missed by 0.1 (1.2× needed)"
    assert by_name[endpoints.JOIN]["reference"] == "one Redis"
    assert by_name[endpoints.JOIN]["mark"] == "met"  # 0.5 of one Redis
    assert by_name[endpoints.HOLD]["reference"] == BareApp.REDIS_POSTGRES.value
    assert by_name[endpoints.HOLD]["ratio_to_reference"] == 0.5
    # A payment checks the pass, pays and uses the pass up: two Redis round trips, one PostgreSQL.
    assert by_name[endpoints.PAY]["reference"] == BareApp.REDIS_POSTGRES_REDIS.value
    assert by_name[endpoints.PAY]["ratio_to_reference"] == 0.5
    assert by_name[endpoints.PAY]["target"] == 0.5


def test_an_endpoint_whose_app_was_not_measured_says_why() -> None:
    embedded = [
        BARE[0],
        {"app": "one Redis", "per_second": None, "note": "not measured: no Redis"},
    ]
    (row,) = rate_against_references([_alone(endpoints.STATUS, 900.0)], embedded)
    assert row["ratio_to_reference"] is None
    assert row["mark"] == "one Redis app not measured: no Redis"


def test_reference_rows_rate_healthz_by_the_ceiling_and_the_rest_alone() -> None:
    report = {
        "ceiling": {"per_second": 8_000.0},
        "bare_apps": BARE,
        "isolated": {"endpoints": [_alone(endpoints.STATUS, 2_000.0)]},
    }
    rows = {row[0]: row[1:] for row in reference_rows(report)}
    assert rows[endpoints.HEALTHZ][1:] == [
        10_000.0,
        "in the ceiling",
        8_000.0,
        0.8,
        None,
        "≥ 0.7",
        "met",
    ]
    assert rows[endpoints.STATUS][1:5] == [4_000.0, "in the ceiling", 2_000.0, 0.5]
    assert rows[endpoints.HOLD][0].startswith("one Redis + one PostgreSQL (")
    assert rows[endpoints.PAY][0].startswith("two Redis + one PostgreSQL (")
    assert rows[endpoints.PAY][1:] == [
        1_800.0,
        "in the ceiling",
        None,
        None,
        None,
        "≥ 0.5",
        "not measured",
    ]


def test_without_a_ceiling_or_endpoints_the_rows_say_what_to_run() -> None:
    rows = {row[0]: row[-1] for row in reference_rows({"ceiling": None, "isolated": None})}
    assert rows[endpoints.HEALTHZ] == "no bare apps measured (run with --ceiling)"
    assert rows[endpoints.JOIN] == "not measured (run with --endpoints)"


def _measured(app: str, per_second: float, client_cpu_seconds: float) -> dict[str, Any]:
    return {
        "app": app,
        "per_second": per_second,
        "seconds": 15.0,
        "client_cpu_seconds": client_cpu_seconds,
        "p50_ms": 1.0,
        "p99_ms": 2.0,
        "errors": 0,
        "note": "",
    }


def test_a_rate_the_load_generator_may_have_capped_is_called_client_bound() -> None:
    report = {
        "options": {"ceiling_workers": 2},
        "ceiling": _measured("healthz", 13_644.0, 14.04),  # 0.94 of a core
        "bare_apps": [
            _measured("bare", 12_539.0, 14.74),  # 0.98
            _measured("one Redis", 8_124.0, 9.48),  # 0.63
        ],
        "isolated": None,
    }

    text = "\n".join(bare_app_lines(report))

    assert "| bare | 12,539.0 | 1.000 | 2.000 | 0 | 0.980 |" in text
    assert "**Client-bound:**" in text
    assert "GET /healthz (94% of a core), bare (98% of a core):" in text
    assert "one Redis (63% of a core)" not in "\n".join(client_bound_lines(report))


def test_rates_the_client_kept_up_with_are_not_flagged() -> None:
    report = {
        "options": {},
        "ceiling": _measured("healthz", 5_000.0, 6.0),
        "bare_apps": [_measured("bare", 6_000.0, 7.5)],
        "isolated": None,
    }
    assert client_bound_lines(report) == []
    assert client_share(report["ceiling"]) == 0.4


def _figure(app: BareApp, per_second: float, server_us: float | None) -> BareFigure:
    requests = int(per_second)  # over one second
    cpu = None
    if server_us is not None:
        cpu = CpuSpent(
            machine=server_us * requests / 1e6 + 0.5, client=0.5, postgres=0, redis=0, app=0
        )
    measured = Ceiling(requests, 1.0, per_second, summarize([]), 0, 0.5, cpu)
    return BareFigure(app, measured)


def test_an_endpoint_alone_is_rated_against_its_app_measured_beside_its_step() -> None:
    beside = beside_figures(
        _figure(BareApp.REDIS, 5_000.0, 200.0), _figure(BareApp.REDIS, 3_000.0, 300.0)
    )
    assert beside == {
        "app": "one Redis",
        "per_second": [5_000.0, 3_000.0],
        "mean_per_second": 4_000.0,
        "server_cpu_us_per_request": 250.0,
    }
    status = {
        **_alone(endpoints.STATUS, 2_600.0),
        "beside": beside,
        "server_cpu_us_per_request": {"server": 500.0},
    }
    seats = _alone(endpoints.SEATS, 2_600.0)  # its step measured no reference
    # The ceiling's one-Redis app made 6,500 req/s: minutes earlier, on a faster host.
    ceiling_apps = [{**BARE[1], "per_second": 6_500.0}]
    by_name = {r["endpoint"]: r for r in rate_against_references([status, seats], ceiling_apps)}
    assert by_name[endpoints.STATUS]["reference_per_second"] == 4_000.0
    assert by_name[endpoints.STATUS]["ratio_to_reference"] == 0.65
    assert by_name[endpoints.STATUS]["cpu_ratio_to_reference"] == 0.5  # 250 µs over 500
    assert by_name[endpoints.STATUS]["reference_measured"] == "beside the step"
    assert by_name[endpoints.STATUS]["mark"] == "met"
    assert by_name[endpoints.SEATS]["ratio_to_reference"] == 0.4
    assert by_name[endpoints.SEATS]["reference_measured"] == "in the ceiling"

    report = {"ceiling": None, "bare_apps": ceiling_apps, "isolated": {"endpoints": [status]}}
    rows = {row[0]: row[1:] for row in reference_rows(report)}
    assert rows[endpoints.STATUS][1:6] == [
        4_000.0,
        "beside the step (5,000.0 before, 3,000.0 after)",
        2_600.0,
        0.65,
        0.5,
    ]


def test_a_step_whose_app_was_measured_once_only_is_not_rated_beside() -> None:
    lost = BareFigure(BareApp.REDIS, None, "not measured: exited")
    assert beside_figures(_figure(BareApp.REDIS, 5_000.0, None), lost) is None
    assert beside_figures(lost, _figure(BareApp.REDIS, 5_000.0, None)) is None
    # Both rates, no CPU figures: rated by rate only.
    both = beside_figures(
        _figure(BareApp.REDIS, 5_000.0, None), _figure(BareApp.REDIS, 4_000.0, None)
    )
    assert both is not None
    assert (both["mean_per_second"], both["server_cpu_us_per_request"]) == (4_500.0, None)
