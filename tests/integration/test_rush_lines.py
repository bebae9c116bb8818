"""`boxoffice rush --lines 2` played for real against an instance on PostgreSQL + Redis: two
sales at once, each on a line of its own, sell out with no error and a clean audit, and the
quiet line is timed alone and beside them (a small run: the full one is scripts/bench-lines)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cluster import Cluster, start_cluster, stop_cluster

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

AUDITED = ("BOXOFFICE_DATABASE_URL", "BOXOFFICE_REDIS_URL", "BOXOFFICE_QUEUE_ROOM")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    running = start_cluster(
        1,
        poll_pace_ratio=0.01,
        status_limit_per_account=1_000_000,
        join_limit_per_account=1_000_000,
    )
    yield running
    stop_cluster(running)


def test_two_sales_at_once_sell_out_and_the_quiet_line_is_timed(
    cluster: Cluster, tmp_path: Path
) -> None:
    env_file = tmp_path / "server.env"
    env_file.write_text("".join(f"{name}={cluster.env[name]}\n" for name in AUDITED))
    options = {
        "--url": cluster.base_urls[0],
        "--admin-key": cluster.admin_key,
        "--lines": "2",
        "--fans": "80",
        "--dates": "1",
        "--seats": "30",
        "--max-active": "20",
        "--quiet-seconds": "2",
        "--duration": "60",
        "--seed": "1",
        "--audit-env-file": str(env_file),
        "--output-dir": str(tmp_path),
    }
    played = subprocess.run(
        [
            sys.executable,
            "-m",
            "boxoffice",
            "rush",
            "--no-progress",
            *(part for option in options.items() for part in option),
        ],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert played.returncode == 0, played.stdout[-3000:] + played.stderr[-3000:]
    report = json.loads((tmp_path / "lines.json").read_text())
    assert [line["tickets_sold"] for line in report["lines"]] == [30, 30]
    assert all(line["errors"] == 0 and line["double_sold"] == 0 for line in report["lines"])
    assert len({line["concert_id"] for line in report["lines"]}) == 2
    assert report["audit"]["ok"] is True
    alone, beside = report["quiet"]
    assert (alone["phase"], beside["phase"]) == ("alone", "beside the sales")
    for phase in (alone, beside):
        assert phase["join"]["count"] == 10  # 5 a second for 2 s, each answered
        assert phase["status"]["count"] == 40
        assert phase["admitted"]["count"] == 10  # every quiet fan let in
        assert phase["errors"] == {}
    assert (tmp_path / "lines.md").read_text().startswith("# Rush ")
