"""With several workers, the live gauges of a worker that is gone stop counting once another
worker starts (uvicorn replaces a killed worker; nothing else marks it dead)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from boxoffice.platform.metrics import forget_dead_workers


def _gone_pid() -> int:
    """The pid of a process that has ended."""
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(ended.stdout)


def test_a_starting_worker_drops_the_live_gauges_of_workers_that_are_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    gone, alive = _gone_pid(), os.getpid()
    files = [
        f"gauge_livemax_{gone}.db",
        f"gauge_livesum_{gone}.db",
        f"gauge_livemax_{alive}.db",
        f"counter_{gone}.db",  # a counter keeps counting what the worker did
    ]
    for name in files:
        (tmp_path / name).write_bytes(b"")

    forget_dead_workers()

    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [f"gauge_livemax_{alive}.db", f"counter_{gone}.db"]
    )
