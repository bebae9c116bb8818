"""Percentiles, outcome classes and the client's own bookkeeping of seats sold."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice_rush.stats import (
    Outcome,
    Recorder,
    Sale,
    SalesLedger,
    classify,
    percentile,
    summarize,
)


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.90) == 90.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.0) == 1.0


def test_percentile_of_nothing_is_zero_and_of_one_is_it() -> None:
    assert percentile([], 0.99) == 0.0
    assert percentile([0.25], 0.5) == 0.25


def test_percentile_refuses_a_fraction_outside_0_1() -> None:
    with pytest.raises(ValueError, match="fraction"):
        percentile([1.0], 99)


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1))
def test_summary_is_ordered_and_within_the_values(values: list[float]) -> None:
    summary = summarize(values)
    assert summary.count == len(values)
    assert min(values) <= summary.p50 <= summary.p90 <= summary.p99 <= summary.max
    assert summary.max == max(values)


def test_summary_of_unsorted_values() -> None:
    summary = summarize([0.3, 0.1, 0.2, 0.4])
    assert (summary.p50, summary.max) == (0.2, 0.4)


@pytest.mark.parametrize(
    ("endpoint", "status", "code", "outcome"),
    [
        ("POST /payments", 201, "", Outcome.OK),
        ("POST /reservations", 409, "SEAT_UNAVAILABLE", Outcome.EXPECTED),
        ("POST /reservations", 409, "HOLD_LIMIT_EXCEEDED", Outcome.ERROR),
        ("GET /queue/status", 429, "RATE_LIMITED", Outcome.RETRIED),
        ("POST /payments", 503, "BUSY", Outcome.RETRIED),
        ("POST /payments", 503, "", Outcome.ERROR),
        ("GET /queue/stream", 404, "NOT_FOUND", Outcome.EXPECTED),
        ("GET /queue/status", 404, "NOT_FOUND", Outcome.ERROR),
        ("POST /payments", 500, "INTERNAL_ERROR", Outcome.ERROR),
        ("POST /payments", 0, "ServerDisconnectedError", Outcome.ERROR),
    ],
)
def test_outcome_classes(endpoint: str, status: int, code: str, outcome: Outcome) -> None:
    assert classify(endpoint, status, code) is outcome


def test_recorder_keeps_spans_seconds_and_unexpected_errors() -> None:
    recorder = Recorder(origin=100.0)
    recorder.record("POST /reservations", 100.5, 0.2, 201, "")
    recorder.record("POST /reservations", 101.2, 0.1, 409, "SEAT_UNAVAILABLE")
    recorder.record("POST /payments", 101.5, 0.3, 500, "INTERNAL_ERROR")
    assert recorder.spans["POST /reservations"] == pytest.approx((0.5, 1.3))
    assert sorted(recorder.per_second) == [0, 1]
    assert recorder.errors == 1
    assert recorder.total_requests() == 3
    assert recorder.outcomes[("POST /payments", 500, "INTERNAL_ERROR", Outcome.ERROR)] == 1


def test_ledger_counts_tickets_and_sells_out() -> None:
    ledger = SalesLedger(total_seats=3)
    ledger.record(Sale(1.0, 10, (1, 2), 100))
    assert not ledger.sold_out
    assert ledger.sold_out_at() is None
    ledger.record(Sale(2.5, 10, (3,), 101))
    assert ledger.tickets == 3
    assert ledger.sold_out
    assert ledger.sold_out_at() == 2.5
    assert ledger.double_sold == []


def test_ledger_catches_a_seat_paid_under_two_reservations() -> None:
    ledger = SalesLedger(total_seats=10)
    ledger.record(Sale(1.0, 10, (1, 2), 100))
    ledger.record(Sale(1.5, 10, (2, 3), 101))
    ledger.record(Sale(1.6, 11, (2,), 102))  # another date's seat 2 is another seat
    assert ledger.double_sold == [(10, 2, 100, 101)]
    assert ledger.tickets == 4
