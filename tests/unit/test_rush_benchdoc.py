"""The benchmark page's figures from the servers' samples."""

from __future__ import annotations

import pytest

from boxoffice.rush.benchdoc import cpu_cores, peak_rss_mib

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
