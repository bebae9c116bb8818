"""Waiting-room rules with no I/O: the token bucket, how many to admit, the wait and polling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boxoffice.waiting_room.domain import (
    Advice,
    PassStatus,
    PassView,
    QueuePolicy,
    admissible,
    advise,
    claim_deadline,
    estimate_wait_seconds,
    measured_rate,
    poll_after_seconds,
    refill_tokens,
)


def policy(admit_per_minute: int) -> QueuePolicy:
    return QueuePolicy(
        max_active=10, admit_per_minute=admit_per_minute, active_ttl_seconds=600, claim_seconds=60
    )


@pytest.mark.parametrize(
    ("admit_per_minute", "burst"), [(1, 1), (11, 1), (12, 1), (24, 2), (60, 5), (600, 50)]
)
def test_the_burst_is_five_seconds_of_admissions_and_at_least_one(
    admit_per_minute: int, burst: int
) -> None:
    assert policy(admit_per_minute).burst == burst


def test_tokens_refill_at_the_rate() -> None:
    assert refill_tokens(0.0, 100.0, 102.5, policy(60)) == 2.5


def test_tokens_never_exceed_the_burst() -> None:
    assert refill_tokens(1.0, 100.0, 10_000.0, policy(60)) == 5.0


def test_time_going_back_refills_nothing() -> None:
    assert refill_tokens(2.0, 100.0, 90.0, policy(60)) == 2.0


@given(
    tokens=st.floats(min_value=0, max_value=5),
    start=st.floats(min_value=0, max_value=1e6),
    first=st.floats(min_value=0, max_value=1e4),
    second=st.floats(min_value=0, max_value=1e4),
    admit_per_minute=st.integers(min_value=1, max_value=10_000),
)
def test_refill_grows_with_time_and_stays_within_the_burst(
    tokens: float, start: float, first: float, second: float, admit_per_minute: int
) -> None:
    rules = policy(admit_per_minute)
    tokens = min(tokens, float(rules.burst))
    sooner = refill_tokens(tokens, start, start + min(first, second), rules)
    later = refill_tokens(tokens, start, start + max(first, second), rules)
    assert tokens <= sooner <= later <= rules.burst


@pytest.mark.parametrize(
    ("free_slots", "tokens", "waiting", "expected"),
    [
        (5, 10.0, 3, 3),  # everyone waiting
        (2, 10.0, 9, 2),  # the free slots
        (9, 2.99, 9, 2),  # whole tokens only
        (0, 10.0, 9, 0),  # no slot free
        (-3, 10.0, 9, 0),  # more active than the cap (it was lowered): none, never negative
        (9, 0.5, 9, 0),  # less than one token
        (9, 9.0, 0, 0),  # nobody waiting
    ],
)
def test_admissible(free_slots: int, tokens: float, waiting: int, expected: int) -> None:
    assert admissible(free_slots, tokens, waiting) == expected


@given(st.integers(-100, 100), st.floats(0, 100), st.integers(0, 100))
def test_admissible_never_exceeds_any_limit(free_slots: int, tokens: float, waiting: int) -> None:
    count = admissible(free_slots, tokens, waiting)
    assert 0 <= count <= max(0, min(free_slots, tokens, waiting))


def test_the_rate_is_measured_over_the_span_the_window_covers() -> None:
    # 30 admitted over the last 60 s is one every two seconds, whatever the policy says.
    assert measured_rate(30, 1000.0, 1060.0, 600) == 0.5
    # 20 admitted since the sale opened 20 s ago is one a second, not 20 a minute.
    assert measured_rate(20, 1000.0, 1020.0, 600) == 1.0


def test_one_burst_is_not_taken_for_a_steady_rate() -> None:
    # 50 let in at once a second ago: measured over at least ten seconds.
    assert measured_rate(50, 1000.0, 1001.0, 6000) == 5.0


def test_with_no_recent_admission_the_configured_rate_stands_in() -> None:
    assert measured_rate(0, None, 1000.0, 60) == 1.0
    assert estimate_wait_seconds(10, measured_rate(0, None, 1000.0, 60)) == 10


def test_the_wait_rounds_up() -> None:
    assert estimate_wait_seconds(1, 7 / 60) == 9  # 60/7 = 8.57 seconds


def test_with_no_rate_at_all_there_is_no_estimate() -> None:
    assert estimate_wait_seconds(10, 0.0) == 0


@given(st.integers(1, 10_000), st.floats(0.001, 5000))
def test_the_wait_never_shrinks_further_back(position: int, rate: float) -> None:
    assert estimate_wait_seconds(position, rate) <= estimate_wait_seconds(position + 1, rate)


def test_at_a_constant_rate_the_estimate_is_the_actual_wait() -> None:
    # Admission at 2 a second for 30 s: a fan at position 100 is admitted in 50 s.
    rate = measured_rate(60, 1000.0 + 0.5, 1030.0, 600)
    assert abs(estimate_wait_seconds(100, rate) - 50) <= 0.2 * 50


@pytest.mark.parametrize(
    ("status", "estimated_wait", "poll_after"),
    [
        (PassStatus.ACTIVE, 0, 60),
        (PassStatus.WAITING, 0, 1),  # about to be let in: every second
        (PassStatus.WAITING, 5, 1),
        (PassStatus.WAITING, 6, 2),
        (PassStatus.WAITING, 50, 16),  # a third of the wait
        (PassStatus.WAITING, 90, 30),
        (PassStatus.WAITING, 180, 60),
        (PassStatus.WAITING, 3600, 60),  # but never rarer than every minute
    ],
)
def test_poll_after_grows_with_the_wait(
    status: PassStatus, estimated_wait: int, poll_after: int
) -> None:
    assert poll_after_seconds(status, estimated_wait) == poll_after


@pytest.mark.parametrize(
    ("admitted_at", "due_at", "deadline"),
    [
        (1000.0, None, 1060.0),  # no advice noted (a pass from before): from the admission
        (1000.0, 990.0, 1060.0),  # the fan was due back before: from the admission
        (1000.0, 1000.0, 1060.0),
        (1000.0, 1045.0, 1105.0),  # admitted before the fan is due back: from then
    ],
)
def test_the_claim_window_starts_at_the_admission_or_when_the_fan_is_due_back(
    admitted_at: float, due_at: float | None, deadline: float
) -> None:
    assert claim_deadline(admitted_at, due_at, 60) == deadline


def test_the_claim_window_is_the_shorter_of_the_claim_and_the_active_ttl() -> None:
    assert QueuePolicy(10, 60, active_ttl_seconds=300, claim_seconds=60).claim_window_seconds == 60
    assert QueuePolicy(10, 60, active_ttl_seconds=30, claim_seconds=60).claim_window_seconds == 30


def waiting(
    position: int | None,
    *,
    opens_at: float | None = None,
    admit_per_minute: int = 0,
    recent_admissions: int = 0,
    oldest_admission_at: float | None = None,
) -> PassView:
    """A waiting pass: in line at `position`, or in the pre-queue (None)."""
    return PassView(
        pass_id="pass",
        user_id=1,
        status=PassStatus.WAITING,
        joined_at=1000.0,
        position=position,
        opens_at=opens_at,
        recent_admissions=recent_admissions,
        oldest_admission_at=oldest_admission_at,
        admit_per_minute=admit_per_minute,
    )


def test_an_active_pass_is_told_no_wait_and_to_poll_rarely() -> None:
    active = PassView("pass", 1, PassStatus.ACTIVE, 1000.0, active_until=1600.0)
    assert advise(active, 1010.0) == Advice(estimated_wait_seconds=0, poll_after_seconds=60)


def test_a_fan_in_line_is_advised_from_the_measured_rate() -> None:
    # Six a minute configured, none admitted lately: the fourth in line waits 40 s.
    assert advise(waiting(4, admit_per_minute=6), 1010.0) == Advice(40, 13)
    # Thirty admitted over the last minute: one every two seconds, so 200 s for the 100th.
    fan = waiting(100, admit_per_minute=600, recent_admissions=30, oldest_admission_at=950.0)
    assert advise(fan, 1010.0) == Advice(200, 60)


@pytest.mark.parametrize(
    ("opens_at", "now", "advice"),
    [
        (1251.5, 1001.0, Advice(251, 60)),  # 250.5 s to the opening, rounded up
        (1003.5, 1001.0, Advice(3, 1)),
        (1000.0, 1001.0, Advice(0, 1)),  # opened, not yet let into the line
        (None, 1001.0, Advice(0, 1)),  # the opening was called off
    ],
)
def test_a_fan_in_the_prequeue_waits_for_the_opening(
    opens_at: float | None, now: float, advice: Advice
) -> None:
    assert advise(waiting(None, opens_at=opens_at, admit_per_minute=60), now) == advice


@given(
    position=st.integers(1, 100_000) | st.none(),
    opens_in=st.floats(-100, 10_000),
    admit_per_minute=st.integers(1, 100_000),
    recent=st.integers(0, 1000),
    age=st.floats(0, 60, exclude_max=True),
)
def test_advice_is_to_poll_every_1_to_60_seconds_and_never_after_the_wait(
    position: int | None,
    opens_in: float,
    admit_per_minute: int,
    recent: int,
    age: float,
) -> None:
    now = 5000.0
    fan = waiting(
        position,
        opens_at=now + opens_in,
        admit_per_minute=admit_per_minute,
        recent_admissions=recent,
        oldest_admission_at=now - age if recent else None,
    )
    advice = advise(fan, now)
    assert 1 <= advice.poll_after_seconds <= 60
    assert advice.poll_after_seconds <= max(1, advice.estimated_wait_seconds)
