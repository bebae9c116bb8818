"""A background step failing tick after tick is logged once a kind while it lasts, and once
when it is over, not once a tick (an outage of a minute in every loop of every worker)."""

from __future__ import annotations

import structlog
from structlog.testing import capture_logs

from boxoffice.platform.logging import Failing


def test_failures_of_a_kind_are_logged_once_and_their_end_with_their_count() -> None:
    failing = Failing(structlog.get_logger("test"), "admission_failed")
    with capture_logs() as logs:
        for _ in range(3):
            failing.failed(ConnectionError("down"), "line-1", line="c1")
            failing.failed(ConnectionError("down"), "line-2", line="c2")
        failing.succeeded("line-1", line="c1")
        failing.succeeded("line-1", line="c1")  # still fine: nothing to say
        failing.failed(ConnectionError("down again"), "line-1", line="c1")

    assert [(log["event"], log.get("line"), log.get("failures")) for log in logs] == [
        ("admission_failed", "c1", None),
        ("admission_failed", "c2", None),
        ("admission_failed_over", "c1", 3),
        ("admission_failed", "c1", None),
    ]
    assert logs[0]["error"] == "ConnectionError('down')"
