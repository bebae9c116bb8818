"""A line that ended stops being reported, with or without the workers' shared metric files."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from boxoffice.waiting_room.domain import RoomStats
from boxoffice.waiting_room.metrics import forget_line, observe_room

FIGURES = RoomStats(
    waiting=3, active=2, admitted_last_minute=1, admitted_total=7, expired_total=4,
    abandoned_total=1,
)  # fmt: skip
NAMES = (
    "boxoffice_queue_waiting",
    "boxoffice_queue_active",
    "boxoffice_queue_admitted_room_total",
    "boxoffice_queue_expired_total",
    "boxoffice_queue_abandoned_total",
)


def _reported(line: str) -> list[float | None]:
    return [REGISTRY.get_sample_value(name, {"line": line}) for name in NAMES]


def test_a_forgotten_line_is_no_longer_reported() -> None:
    observe_room("9001", FIGURES)
    assert _reported("9001") == [3, 2, 7, 4, 1]

    forget_line("9001")

    assert _reported("9001") == [None] * 5


def test_with_shared_metric_files_a_forgotten_line_reports_zero(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """prometheus_client cannot remove a series from the workers' shared files: it warned (an
    error here) and kept the last figures, which the ended line then showed for good."""
    observe_room("9002", FIGURES)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    forget_line("9002")
    forget_line("9003")  # never reported by this process: nothing to report

    assert _reported("9002") == [0, 0, 0, 0, 0]
    assert _reported("9003") == [None] * 5
