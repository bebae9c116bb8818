"""What a sale saw, per request kind, and where its figures are written.

Each HTTP attempt is recorded: a failure is a 503, another 5xx, or a transport error (refused,
reset, timed out), named by status or exception type. The first and last failure, on the sale's
clock, give "seconds to heal" against a mark the scenario sets when it injects or ends a fault.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["KindStats", "SaleReport", "reports_folder", "write_report"]


@dataclass
class KindStats:
    requests: int = 0  # logical requests (a retry is not a new one)
    attempts: int = 0
    failures: int = 0
    failures_by: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)  # any 5xx but 503: must stay empty
    without_retry_after: int = 0  # 503s that did not say when to retry: must stay 0
    gave_up: int = 0  # retries or the deadline ran out; the outcome is unknown to the fan
    first_failure_at: float | None = None
    last_failure_at: float | None = None
    failed_sent_at: list[float] = field(default_factory=list)  # when each failed attempt left
    slowest_seconds: float = 0.0

    def failed(self, at: float, reason: str, sent_at: float | None = None) -> None:
        if sent_at is not None:
            self.failed_sent_at.append(sent_at)
        self.failures += 1
        self.failures_by[reason] += 1
        self.first_failure_at = at if self.first_failure_at is None else self.first_failure_at
        self.last_failure_at = at


@dataclass
class SaleReport:
    scenario: str
    fans: int
    seats: int
    instances: int
    started_at: float = field(default_factory=time.time)  # wall clock, for the servers' times
    duration_seconds: float = 0.0
    kinds: dict[str, KindStats] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)  # per fan: paid, sold_out, ...
    marks: dict[str, float] = field(default_factory=dict)  # scenario events, sale seconds
    figures: dict[str, Any] = field(default_factory=dict)  # scenario's own numbers
    _origin: float = field(default_factory=time.monotonic, repr=False)

    def start_clock(self) -> None:
        """The sale starts now: its clock and wall-clock start are reset."""
        self.started_at = time.time()
        self._origin = time.monotonic()

    def now(self) -> float:
        """Seconds since the sale started."""
        return time.monotonic() - self._origin

    def kind(self, name: str) -> KindStats:
        return self.kinds.setdefault(name, KindStats())

    def mark(self, event: str) -> float:
        """Note when `event` happened (a kill, a heal); its sale time."""
        self.marks[event] = self.now()
        return self.marks[event]

    @property
    def failures(self) -> int:
        return sum(k.failures for k in self.kinds.values())

    @property
    def server_errors(self) -> list[str]:
        return [e for k in self.kinds.values() for e in k.server_errors]

    @property
    def without_retry_after(self) -> int:
        return sum(k.without_retry_after for k in self.kinds.values())

    @property
    def gave_up(self) -> int:
        return sum(k.gave_up for k in self.kinds.values())

    def last_failure_at(self) -> float | None:
        times = [k.last_failure_at for k in self.kinds.values() if k.last_failure_at is not None]
        return max(times, default=None)

    def failures_sent_after(self, mark: str) -> int:
        """Failed attempts sent after mark `mark` (a heal): no part of the fault was theirs."""
        since = self.marks[mark]
        return sum(at > since for k in self.kinds.values() for at in k.failed_sent_at)

    def seconds_to_heal(self, since: str) -> float:
        """From mark `since` to the last failed attempt after it (0: nothing failed after)."""
        last = self.last_failure_at()
        start = self.marks[since]
        return 0.0 if last is None or last < start else round(last - start, 3)

    def summary(self) -> str:
        """One line for the eye: what was sold, what failed, how long healing took."""
        heal = {m: self.seconds_to_heal(m) for m in self.marks}
        return (
            f"{self.scenario}: {self.fans} fans, {self.instances} instances, "
            f"{self.duration_seconds:.1f} s; outcomes {dict(self.outcomes)}; "
            f"failed attempts {self.failures} "
            f"{dict(sum((k.failures_by for k in self.kinds.values()), Counter()))}; "
            f"5xx other than 503: {len(self.server_errors)}; gave up {self.gave_up}; "
            f"seconds to heal since {heal}; figures {self.figures}"
        )

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it rebuilds a Counter from (key, value) pairs, counting pairs.
        data = {
            name: getattr(self, name)
            for name in ("scenario", "fans", "seats", "instances", "started_at", "duration_seconds")
        }
        data["kinds"] = {
            name: {**vars(stats), "failures_by": dict(stats.failures_by)}
            for name, stats in self.kinds.items()
        }
        data.update(outcomes=dict(self.outcomes), marks=self.marks, figures=self.figures)
        data["failures"] = self.failures
        data["seconds_to_heal"] = {m: self.seconds_to_heal(m) for m in self.marks}
        return data


def reports_folder() -> Path:
    """bench-results/faults/ in the checkout (gitignored), or BOXOFFICE_FAULTS_REPORTS."""
    configured = os.environ.get("BOXOFFICE_FAULTS_REPORTS")
    folder = Path(configured) if configured else Path(__file__).parents[2] / "bench-results/faults"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_report(report: SaleReport, folder: Path | None = None) -> Path:
    """`<scenario>.json` with every figure and `<scenario>.txt` with the summary line."""
    folder = folder or reports_folder()
    path = folder / f"{report.scenario}.json"
    path.write_text(json.dumps(report.as_dict(), indent=2, sort_keys=True, default=str) + "\n")
    (folder / f"{report.scenario}.txt").write_text(report.summary() + "\n")
    return path
