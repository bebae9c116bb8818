"""The client's own bookkeeping: latencies per endpoint and per second, outcomes, tickets sold."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "LatencySummary",
    "Outcome",
    "Recorder",
    "SalesLedger",
    "classify",
    "percentile",
    "summarize",
]


class Outcome(StrEnum):
    OK = "ok"
    EXPECTED = "expected"  # the normal friction of a rush: a seat race lost, no stream endpoint
    RETRIED = "retried"  # 429 / 503 with Retry-After: waited and tried again
    ERROR = "error"


STREAM_ENDPOINT = "GET /queue/stream"


def classify(endpoint: str, status: int, code: str) -> Outcome:
    """How a response counts in the report."""
    if 200 <= status < 300:
        return Outcome.OK
    if (status, code) in ((429, "RATE_LIMITED"), (503, "BUSY")):
        return Outcome.RETRIED
    if (status, code) == (409, "SEAT_UNAVAILABLE"):
        return Outcome.EXPECTED
    if endpoint == STREAM_ENDPOINT and status == 404:
        return Outcome.EXPECTED
    return Outcome.ERROR


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of values sorted ascending (`fraction` in 0..1); 0.0 when empty."""
    if not sorted_values:
        return 0.0
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be within 0..1")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50: float
    p90: float
    p99: float
    max: float


def summarize(latencies: Sequence[float]) -> LatencySummary:
    """Count and p50/p90/p99/max of latencies in seconds, in any order."""
    ordered = sorted(latencies)
    return LatencySummary(
        count=len(ordered),
        p50=percentile(ordered, 0.50),
        p90=percentile(ordered, 0.90),
        p99=percentile(ordered, 0.99),
        max=ordered[-1] if ordered else 0.0,
    )


class Recorder:
    """Every response of one phase; times are seconds since `origin` (a perf_counter value)."""

    def __init__(self, origin: float) -> None:
        self.origin = origin
        self.latencies: defaultdict[str, list[float]] = defaultdict(list)
        self.spans: dict[str, tuple[float, float]] = {}
        self.outcomes: Counter[tuple[str, int, str, Outcome]] = Counter()
        self.per_second: defaultdict[int, list[float]] = defaultdict(list)
        self.errors = 0
        # Time requests spent waiting for one of the client's connection slots, and how many
        # requests, by lane (the line's pool or the shop's): large when the fans want more than
        # the server answers (the server, not the client, is saturated).
        self.slot_wait_seconds: defaultdict[str, float] = defaultdict(float)
        self.slot_requests: Counter[str] = Counter()

    def waited_for_slot(self, lane: str, seconds: float) -> None:
        """A request of `lane` got a connection after `seconds`."""
        self.slot_wait_seconds[lane] += seconds
        self.slot_requests[lane] += 1

    def mean_slot_wait_ms(self, lane: str) -> float:
        """Mean wait of a request of `lane` for a connection, in milliseconds (0 if none)."""
        count = self.slot_requests[lane]
        return round(self.slot_wait_seconds[lane] / count * 1000, 2) if count else 0.0

    def record(self, endpoint: str, started: float, latency: float, status: int, code: str) -> None:
        """One response (or transport failure, with status 0) that took `latency` seconds."""
        at = started - self.origin
        self.latencies[endpoint].append(latency)
        span = self.spans.get(endpoint)
        end = at + latency
        self.spans[endpoint] = (at, end) if span is None else (span[0], max(span[1], end))
        self.per_second[int(at)].append(latency)
        if status < 200 or status >= 300:
            outcome = classify(endpoint, status, code)
            self.outcomes[(endpoint, status, code, outcome)] += 1
            if outcome is Outcome.ERROR:
                self.errors += 1

    def total_requests(self) -> int:
        """Responses recorded, over every endpoint."""
        return sum(len(values) for values in self.latencies.values())

    def busy_seconds(self) -> float:
        """Sum of every request's latency: divided by the elapsed time, the mean in flight."""
        return sum(sum(values) for values in self.latencies.values())


@dataclass(frozen=True)
class Sale:
    at: float  # seconds since the sale opened
    schedule_id: int
    seat_numbers: tuple[int, ...]
    reservation_id: int


class SalesLedger:
    """Seats the client saw sold (201 payments), to prove no seat was sold twice."""

    def __init__(self, total_seats: int) -> None:
        self.total_seats = total_seats
        self.sales: list[Sale] = []
        self.tickets = 0
        self.double_sold: list[tuple[int, int, int, int]] = []
        self._owner: dict[tuple[int, int], int] = {}

    def record(self, sale: Sale) -> None:
        """A 201 payment; a seat already paid under another reservation is a double sale."""
        self.sales.append(sale)
        for number in sale.seat_numbers:
            seat = (sale.schedule_id, number)
            owner = self._owner.setdefault(seat, sale.reservation_id)
            if owner != sale.reservation_id:
                self.double_sold.append((sale.schedule_id, number, owner, sale.reservation_id))
            else:
                self.tickets += 1

    @property
    def sold_out(self) -> bool:
        """Every seat on sale has been paid for."""
        return self.tickets >= self.total_seats

    def sold_out_at(self) -> float | None:
        """Seconds from opening to the payment that sold the last seat, if it sold out."""
        if not self.sold_out:
            return None
        count = 0
        for sale in sorted(self.sales, key=lambda s: s.at):
            count += len(sale.seat_numbers)
            if count >= self.total_seats:
                return sale.at
        return None
