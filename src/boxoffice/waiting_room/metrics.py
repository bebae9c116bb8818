"""Prometheus metrics of the waiting room."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from boxoffice.waiting_room.domain import RoomStats

JOINED = Counter("boxoffice_queue_joined_total", "New queue passes.")
ADMITTED = Counter("boxoffice_queue_admitted_total", "Passes admitted by this instance.")
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

# Room-wide figures as this instance last read them from the store (every instance reads the
# same shared room, so with several workers they are reported once per process, as 'max').
WAITING = Gauge("boxoffice_queue_waiting", "Fans waiting in line.", multiprocess_mode="livemax")
ACTIVE = Gauge("boxoffice_queue_active", "Active passes.", multiprocess_mode="livemax")
ADMITTED_ROOM = Gauge(
    "boxoffice_queue_admitted_room_total", "Passes admitted, in all.", multiprocess_mode="livemax"
)
EXPIRED = Gauge(
    "boxoffice_queue_expired_total", "Active passes that expired.", multiprocess_mode="livemax"
)
ABANDONED = Gauge(
    "boxoffice_queue_abandoned_total",
    "Admitted passes never used within the claim window.",
    multiprocess_mode="livemax",
)


def observe_room(stats: RoomStats) -> None:
    """Publish the room's figures as read from the waiting-room store."""
    WAITING.set(stats.waiting)
    ACTIVE.set(stats.active)
    ADMITTED_ROOM.set(stats.admitted_total)
    EXPIRED.set(stats.expired_total)
    ABANDONED.set(stats.abandoned_total)
