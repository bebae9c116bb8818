"""What a fan is told of their pass (`QueueStatus`), and an ACTIVE pass with its line
(`LinePass`), as the waiting room's service answers them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from boxoffice.waiting_room.domain import PassStatus, PassView, advise
from boxoffice.waiting_room.lines import HOUSE, Line


@dataclass(frozen=True, slots=True)
class QueueStatus:
    token: str
    status: PassStatus
    position: int | None
    estimated_wait_seconds: int
    active_until: datetime | None
    poll_after_seconds: int
    opens_at: datetime | None
    concert_id: int | None  # the concert whose own line the pass is for; None: the house line


@dataclass(frozen=True, slots=True)
class LinePass:
    """An ACTIVE pass and the line it is for: what a [pass] route is let through with."""

    view: PassView
    line: Line

    @property
    def pass_id(self) -> str:
        return self.view.pass_id


def _to_datetime(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def describe(view: PassView, token: str, now: float, line: Line = HOUSE) -> QueueStatus:
    """What the fan sees of their pass."""
    advice = advise(view, now)
    return QueueStatus(
        token=token,
        status=view.status,
        position=view.position,
        estimated_wait_seconds=advice.estimated_wait_seconds,
        active_until=_to_datetime(view.active_until),
        poll_after_seconds=advice.poll_after_seconds,
        opens_at=_to_datetime(view.opens_at),
        concert_id=line,
    )
