"""Prometheus metrics of the waiting room."""

from __future__ import annotations

import contextlib
import os

from prometheus_client import Counter, Gauge, Histogram

from boxoffice.waiting_room.domain import RoomStats

JOINED = Counter("boxoffice_queue_joined_total", "New queue passes, by line.", ["line"])
ADMITTED = Counter(
    "boxoffice_queue_admitted_total", "Passes admitted by this instance, by line.", ["line"]
)
ESTIMATE_ERROR = Histogram(
    "boxoffice_queue_estimate_error_ratio",
    "How far the wait estimate given at joining was from the actual wait, as a share of it.",
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0),
)
RESTORED = Counter(
    "boxoffice_queue_restored_total",
    "Passes put back at their place after the waiting room's store was lost.",
)
RATE_LIMITED = Counter(
    "boxoffice_queue_rate_limited_total", "Joins and polls refused by a limit.", ["kind"]
)

# Each line's figures as this instance last read them from the store (every instance reads the
# same shared rooms, so with several workers they are reported once per process, as 'max'),
# labelled by line: a concert's id, or 'house'.
WAITING = Gauge(
    "boxoffice_queue_waiting", "Fans waiting in line.", ["line"], multiprocess_mode="livemax"
)
ACTIVE = Gauge("boxoffice_queue_active", "Active passes.", ["line"], multiprocess_mode="livemax")
ADMITTED_ROOM = Gauge(
    "boxoffice_queue_admitted_room_total",
    "Passes admitted, in all.",
    ["line"],
    multiprocess_mode="livemax",
)
EXPIRED = Gauge(
    "boxoffice_queue_expired_total",
    "Active passes that expired.",
    ["line"],
    multiprocess_mode="livemax",
)
ABANDONED = Gauge(
    "boxoffice_queue_abandoned_total",
    "Admitted passes never used within the claim window.",
    ["line"],
    multiprocess_mode="livemax",
)


_ROOM_GAUGES = (WAITING, ACTIVE, ADMITTED_ROOM, EXPIRED, ABANDONED)
_OBSERVED: set[str] = set()  # the lines whose figures this process reports


def forget_line(line: str) -> None:
    """A line that ended: its figures are no longer reported by this process. With the workers'
    shared metric files (`serve --workers N`, PROMETHEUS_MULTIPROC_DIR), where prometheus_client
    cannot remove a series (it warns and keeps the last value, which 'livemax' then reports for
    good), they are reported as 0 instead."""
    if line not in _OBSERVED:
        return
    _OBSERVED.discard(line)
    shared = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    for gauge in _ROOM_GAUGES:
        if shared:
            gauge.labels(line).set(0)
        else:
            with contextlib.suppress(KeyError):
                gauge.remove(line)


def observe_room(line: str, stats: RoomStats) -> None:
    """Publish a line's figures as read from the waiting-room store."""
    _OBSERVED.add(line)
    WAITING.labels(line).set(stats.waiting)
    ACTIVE.labels(line).set(stats.active)
    ADMITTED_ROOM.labels(line).set(stats.admitted_total)
    EXPIRED.labels(line).set(stats.expired_total)
    ABANDONED.labels(line).set(stats.abandoned_total)
