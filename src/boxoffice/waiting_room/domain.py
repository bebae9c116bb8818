"""Waiting-room rules with no I/O: policy, pass views, admission arithmetic and estimates."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

ADMISSION_WINDOW_SECONDS = 60.0


class PassStatus(StrEnum):
    WAITING = "WAITING"
    ACTIVE = "ACTIVE"


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """How many fans may shop at once, how fast they are let in, and for how long."""

    max_active: int
    admit_per_minute: int
    active_ttl_seconds: int
    claim_seconds: int
    opens_at: float | None = None

    @property
    def burst(self) -> int:
        """Admissions allowed at once on top of the steady rate: five seconds' worth, at least 1."""
        return max(1, self.admit_per_minute // 12)

    @property
    def rate_per_second(self) -> float:
        return self.admit_per_minute / 60.0

    @property
    def claim_window_seconds(self) -> int:
        """How long an admitted pass lives unused (from its admission, or from when its fan was
        due back if that is later: `claim_deadline`)."""
        return min(self.claim_seconds, self.active_ttl_seconds)


@dataclass(frozen=True, slots=True)
class PassView:
    """A live pass as the store sees it now."""

    pass_id: str
    user_id: int
    status: PassStatus
    joined_at: float
    position: int | None = None
    active_until: float | None = None
    opens_at: float | None = None
    # What the estimate of the wait needs, read in the same step as the pass.
    recent_admissions: int = 0
    oldest_admission_at: float | None = None
    admit_per_minute: int = 0
    # Where the pass stands in line for good, fixed when it joined (see `place_of`): the pass
    # carries it, signed, so that a lost store can give the place back.
    place: int = 0


@dataclass(frozen=True, slots=True)
class PassPlace:
    """What a signed pass says of itself: enough to put its fan back in line if the store that
    knew it is lost (a new, empty Redis; a restarted embedded server)."""

    pass_id: str
    user_id: int
    joined_at: float
    place: int


class RestoreOutcome(StrEnum):
    LIVE = "LIVE"  # the store knows the pass: nothing to restore
    ENDED = "ENDED"  # this room issued the pass (or restored it before) and it ended
    SUPERSEDED = "SUPERSEDED"  # the fan holds another live pass in this room
    RESTORABLE = "RESTORABLE"  # from a room that was lost: may come back if it was not spent
    RESTORED = "RESTORED"  # put back in line at its place


@dataclass(frozen=True, slots=True)
class Restored:
    outcome: RestoreOutcome
    view: PassView | None = None


MICROSECONDS = 1_000_000


def sequence_floor(now: float) -> int:
    """The lowest join sequence a place taken at `now` may get: the time in microseconds.

    Sequences also grow by one per place, so they are strictly increasing; and because none is
    below the time, a room made anew after its store was lost numbers every new place after all
    the places of the room it replaces (fewer than a million joins a second, clocks in step).
    """
    return math.floor(now * MICROSECONDS)


def place_of(seq: int | None, joined_at: float, opens_at: float | None) -> int:
    """A pass's place for good: its join sequence, or for a pass that joined the pre-queue the
    opening (a restored pre-queue pass is placed at the opening, in a random order among
    them, ahead of everyone who joined after it)."""
    if seq is not None:
        return seq
    return sequence_floor(opens_at if opens_at is not None else joined_at)


@dataclass(frozen=True, slots=True)
class RoomStats:
    waiting: int
    active: int
    admitted_last_minute: int
    admitted_total: int
    expired_total: int
    abandoned_total: int
    prequeue: int = 0
    # Passes active when max_active was last lowered below the passes then active, and still
    # active, counted up to the cap they were let in under: they keep their slots until they
    # end (nobody is sent away), so until then the room may hold up to this many, no more
    # (admission waits until fewer than max_active are).
    kept_from_higher_cap: int = 0

    def cap(self, policy: QueuePolicy) -> int:
        """The most passes that may be active now (design.md, invariant 6)."""
        return max(policy.max_active, self.kept_from_higher_cap)


@dataclass(frozen=True, slots=True)
class RoomSample:
    """The room's figures at one instant, as the organizer's board charts them."""

    waiting: int
    active: int
    admitted_total: int


# The board's samples: one per slot of this many seconds, the last SAMPLES_KEPT of them (31
# minutes: a chart of the last 30 minutes has the minute before its first, for differences).
SAMPLE_SECONDS = 10
SAMPLES_KEPT = 31 * 60 // SAMPLE_SECONDS


def refill_tokens(tokens: float, last_refill: float, now: float, policy: QueuePolicy) -> float:
    """The token bucket that caps admissions at the policy's rate plus its burst."""
    elapsed = max(0.0, now - last_refill)
    return min(float(policy.burst), tokens + elapsed * policy.rate_per_second)


def admissible(free_slots: int, tokens: float, waiting: int) -> int:
    """How many fans to admit now: no more than free slots, tokens or fans waiting."""
    return max(0, min(free_slots, math.floor(tokens), waiting))


MIN_MEASURED_SPAN_SECONDS = 10.0


def measured_rate(
    recent_admissions: int, oldest_admission_at: float | None, now: float, admit_per_minute: int
) -> float:
    """Admissions per second over the last minute, measured from the oldest admission in it.

    Measuring over the span actually covered (at least ten seconds, so one burst does not pass
    for a steady rate) keeps the estimate right in the first minute of a sale, and the rate is
    never taken above the configured one. With no admission in the window the configured rate
    stands in.
    """
    if recent_admissions == 0 or oldest_admission_at is None:
        return admit_per_minute / 60.0
    span = min(ADMISSION_WINDOW_SECONDS, max(MIN_MEASURED_SPAN_SECONDS, now - oldest_admission_at))
    # The opening burst is not a steady rate: the token bucket never sustains more than its own.
    return min(admit_per_minute / 60.0, recent_admissions / span)


def estimate_wait_seconds(position: int, rate_per_second: float) -> int:
    """Seconds until a fan at `position` is admitted at `rate_per_second`."""
    return math.ceil(position / rate_per_second) if rate_per_second > 0 else 0


# A waiting fan is told to poll again after their estimated wait divided by this (a third), so
# the polls of a whole line grow with the admission rate times this number and only with the log
# of its length; never rarer than every MAX_POLL_SECONDS. lua/common.lua uses the same numbers.
POLL_WAIT_DIVISOR = 3
MAX_POLL_SECONDS = 60


def poll_after_seconds(status: PassStatus, estimated_wait: int) -> int:
    """Fans far back poll rarely; those about to be admitted poll every second."""
    if status is PassStatus.ACTIVE:
        return MAX_POLL_SECONDS
    return max(1, min(MAX_POLL_SECONDS, estimated_wait // POLL_WAIT_DIVISOR))


def claim_deadline(admitted_at: float, due_at: float | None, claim_window_seconds: int) -> float:
    """Until when an admitted pass lives unused: its claim window, which starts when the pass is
    admitted or, if later, when its fan was told to come back (the last poll's, join's or
    restore's `poll_after_seconds` from then). A fan who polls when told therefore always finds
    the pass it was admitted with, however long it was told to wait; lua/admit.lua does the same.
    """
    start = admitted_at if due_at is None else max(admitted_at, due_at)
    return start + claim_window_seconds


@dataclass(frozen=True, slots=True)
class Advice:
    """What a fan is told with their pass: the estimated wait and when to poll again."""

    estimated_wait_seconds: int
    poll_after_seconds: int


def advise(view: PassView, now: float) -> Advice:
    """The wait (from the measured rate, or until the opening in the pre-queue) and the poll
    interval; lua/common.lua mirrors this (`poll_after`) to pace a waiting pass and to note when
    its fan is due back, so change both together."""
    if view.status is PassStatus.ACTIVE:
        return Advice(0, poll_after_seconds(view.status, 0))
    if view.position is None:  # in the pre-queue: the wait starts at the opening
        wait = math.ceil(max(0.0, (view.opens_at or now) - now))
        # Never told to come back after the opening, when the line forms.
        return Advice(wait, max(1, min(poll_after_seconds(view.status, wait), wait)))
    rate = measured_rate(
        view.recent_admissions, view.oldest_admission_at, now, view.admit_per_minute
    )
    wait = estimate_wait_seconds(view.position, rate)
    return Advice(wait, poll_after_seconds(view.status, wait))
