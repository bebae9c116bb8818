"""`boxoffice queue-depth`: its pure parts (summaries, ratios, the docs section) and schedule."""

from __future__ import annotations

import asyncio
from time import perf_counter

import pytest

from boxoffice_rush.config import TargetRefused
from boxoffice_rush.queue_depth import check_redis_url
from boxoffice_rush.queue_depth_http import drive
from boxoffice_rush.queue_depth_report import (
    END,
    START,
    DepthResult,
    Run,
    Summary,
    parse_cpu_stall,
    ratios,
    render_section,
    replace_section,
    summarize,
    summarize_slowlog,
)


def _summary(p99_ms: float) -> Summary:
    return Summary(count=100, per_second=50.0, p50_ms=1.0, p90_ms=2.0, p99_ms=p99_ms, max_ms=9.0)


def _run(http_p99: tuple[float, float], store_p99: tuple[float, float]) -> Run:
    run = Run("2026-11-26 04:00 UTC", {"depths": "1,000 and 1,000,000"})
    for depth, http, store in zip((1_000, 1_000_000), http_p99, store_p99, strict=True):
        run.depths.append(
            DepthResult(
                depth,
                http={"join": _summary(http), "status": _summary(http)},
                store={"join": _summary(store), "view": _summary(store)},
                cpu_pressure_pct=5.0,
            )
        )
    return run


def test_summary_is_nearest_rank_in_milliseconds() -> None:
    latencies = [value / 1000 for value in range(100, 0, -1)]  # 1..100 ms, in any order
    summary = summarize(latencies, seconds=4.0)
    assert summary.count == 100
    assert summary.per_second == 25.0
    assert summary.p50_ms == pytest.approx(50.0)
    assert summary.p90_ms == pytest.approx(90.0)
    assert summary.p99_ms == pytest.approx(99.0)
    assert summary.max_ms == pytest.approx(100.0)


def test_summary_of_nothing_is_zero() -> None:
    assert summarize([], seconds=0.0) == Summary(0, 0.0, 0.0, 0.0, 0.0, 0.0)


def test_p99_takes_the_slow_tail_and_not_the_single_worst() -> None:
    latencies = [0.001] * 990 + [0.050] * 9 + [2.0]
    summary = summarize(latencies, seconds=10.0)
    assert summary.p99_ms == pytest.approx(1.0)
    assert summary.max_ms == pytest.approx(2000.0)
    assert summarize([*latencies[:-1], 0.050, 0.050], 10.0).p99_ms == pytest.approx(50.0)


def test_ratios_compare_the_last_depth_with_the_first() -> None:
    rows = ratios(_run(http_p99=(10.0, 14.0), store_p99=(0.5, 1.0)))
    assert [(name, ratio) for name, _, _, ratio in rows] == [
        ("HTTP join", pytest.approx(1.4)),
        ("HTTP status", pytest.approx(1.4)),
        ("store join", pytest.approx(2.0)),
        ("store view", pytest.approx(2.0)),
    ]


def test_no_ratio_without_two_depths_or_with_a_zero_baseline() -> None:
    run = _run(http_p99=(0.0, 3.0), store_p99=(1.0, 1.0))
    assert ratios(run)[0] == ("HTTP join", 0.0, 3.0, None)
    run.depths.pop()
    assert ratios(run) == []


def test_section_shows_the_verdict_between_the_markers() -> None:
    section = render_section(_run(http_p99=(10.0, 16.0), store_p99=(0.5, 0.6)))
    assert section.startswith(START)
    assert section.endswith(END)
    assert "| HTTP join | 10.0 | 16.0 | 1.60 | **no** |" in section
    assert "| store view | 0.500 | 0.600 | 1.20 | yes |" in section
    assert "Warning" not in section


def test_section_warns_when_the_machine_was_busy() -> None:
    run = _run(http_p99=(10.0, 10.0), store_p99=(0.5, 0.5))
    run.depths[0].cpu_pressure_pct = 60.0
    assert "Warning: tasks waited for a CPU" in render_section(run)


SECTION = f"{START}\nnew figures\n{END}"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("", f"{SECTION}\n"),
        ("# Benchmarks\n", f"# Benchmarks\n\n{SECTION}\n"),
        ("# Benchmarks\n\n", f"# Benchmarks\n\n{SECTION}\n"),
        ("# Benchmarks", f"# Benchmarks\n\n{SECTION}\n"),
    ],
)
def test_section_is_appended_when_the_markers_are_missing(document: str, expected: str) -> None:
    assert replace_section(document, SECTION) == expected


def test_section_replaces_only_what_is_between_the_markers() -> None:
    before = "# Benchmarks\n\nrush figures\n\n"
    after = "\n\n## Later section\nkept\n"
    document = f"{before}{START}\nold figures\nmore old\n{END}{after}"
    replaced = replace_section(document, SECTION)
    assert replaced == f"{before}{SECTION}{after}"
    assert replace_section(replaced, SECTION) == replaced


@pytest.mark.parametrize(
    "document",
    [
        f"text\n{START}\nno end\n",
        f"text\n{END}\nno start\n",
        f"{END}\nout of order\n{START}\n",
        f"{START}\na\n{END}\n{START}\nb\n{END}\n",
    ],
)
def test_damaged_markers_are_refused_rather_than_overwritten(document: str) -> None:
    with pytest.raises(ValueError, match="markers"):
        replace_section(document, SECTION)


def test_slowlog_is_summarized_by_command_most_frequent_first() -> None:
    entries = [("EVALSHA join", 12.0), ("HSET", 40.5), ("EVALSHA join", 103.6)]
    expected = "EVALSHA join ×2 (max 103.6 ms), HSET ×1 (max 40.5 ms)"
    assert summarize_slowlog(entries) == expected
    assert summarize_slowlog([]) == "none"


def test_cpu_stall_is_read_from_the_some_line() -> None:
    pressure = (
        "some avg10=9.65 avg60=44.19 avg300=53.05 total=1855775195\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
    )
    assert parse_cpu_stall(pressure) == 1855775195
    with pytest.raises(ValueError, match="some"):
        parse_cpu_stall("full avg10=0.00 total=0\n")


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/13", "redis://localhost:6379", "redis://[::1]:6379/0"]
)
def test_loopback_redis_is_accepted(url: str) -> None:
    assert check_redis_url(url) == url


@pytest.mark.parametrize(
    "url", ["redis://cache.example:6379/0", "redis://10.0.0.5:6379", "rediss://127.0.0.1:6379"]
)
def test_other_redis_hosts_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_redis_url(url)


async def test_requests_keep_to_the_schedule_even_when_answers_are_slow() -> None:
    # No answer comes until every request of the schedule has left: a driver that waited for
    # each answer before sending the next would send one request and stall (and fail at the
    # deadline), however fast or slow the machine.
    sent: list[tuple[int, float, float]] = []
    in_flight = peak = 0
    all_sent = asyncio.Event()

    async def send(k: int, due: float) -> None:
        nonlocal in_flight, peak
        sent.append((k, due, perf_counter()))
        in_flight += 1
        peak = max(peak, in_flight)
        if len(sent) == 10:
            all_sent.set()
        await all_sent.wait()
        in_flight -= 1

    start = perf_counter() + 0.01
    await asyncio.wait_for(drive(rate=100.0, seconds=0.1, start=start, send=send), timeout=10)
    assert [k for k, _, _ in sent] == list(range(10))
    assert [due for _, due, _ in sent] == pytest.approx([start + k / 100 for k in range(10)])
    assert all(at >= due - 0.001 for _, due, at in sent)  # none leaves before its time
    assert (peak, in_flight) == (10, 0)  # all ten out at once, and every one answered
