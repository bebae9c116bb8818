"""The waiting-room store port. Every method is one atomic step in the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from boxoffice.platform.rate_limit import Limit
from boxoffice.waiting_room.domain import (
    PassPlace,
    PassView,
    QueuePolicy,
    Restored,
    RoomSample,
    RoomStats,
)


@dataclass(frozen=True, slots=True)
class PollGuard:
    """The limits a status poll is checked against, and how its fan is paced.

    The counters and the pacing key are the rate limiter's (the same per-address counter that
    joins count on). A waiting pass's next poll is refused for `pace_ratio` x its advised
    `poll_after_seconds`; with no `pace_key`, or a ratio of 0, polls are not paced.
    """

    limits: tuple[Limit, ...]
    pace_key: str | None = None
    pace_ratio: float = 0.0


class Refused(Exception):
    """A join or poll over one of its limits, or a poll sooner than its pace allows: nothing was
    read or written, no further counter counted. `wait_seconds`: until it would be let through."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"over its limits, for {wait_seconds:.3f} s")
        self.wait_seconds = wait_seconds


class WaitingRoomStore(Protocol):
    """The line, the active passes and admission. Times are Unix seconds (floats)."""

    async def join(
        self, user_id: int, pass_id: str, now: float, limits: Sequence[Limit] = ()
    ) -> tuple[PassView, bool]:
        """Put the user in line, or return their live pass; True when a new pass was made.

        First, in the same step, the join counts on `limits` (the rate limiter's counters of
        this room, as a poll's): over one of them it raises Refused."""
        ...

    async def view(self, pass_id: str, now: float) -> PassView | None:
        """The pass with its 1-based position; None once it expired, was used or left."""
        ...

    async def poll(self, pass_id: str, now: float, guard: PollGuard) -> PassView | None:
        """A fan's status poll in one step: refused by `guard` before anything is read (it
        raises Refused), else `view`; a waiting pass is then paced as `guard` says, from
        `domain.advise`."""
        ...

    async def authorize(self, pass_id: str, now: float) -> PassView | None:
        """`view`, and the first use of an admitted pass claims it (extends it to the full TTL)."""
        ...

    async def leave(self, pass_id: str, now: float) -> bool:
        """Give up the place or the active slot at once; False if the pass was not live."""
        ...

    async def use_up(self, pass_id: str, now: float) -> bool:
        """End an active pass after a payment, freeing its slot at once."""
        ...

    async def restore(
        self, place: PassPlace, now: float, recovery_seconds: float, *, commit: bool
    ) -> Restored:
        """A pass this store does not know, from what the pass carries: see RestoreOutcome.

        Only a pass that joined before the room's first place (so a room that was lost) may
        come back, once, waiting at its place; without `commit` only whether it may. The
        first restore holds admission back for `recovery_seconds`, for the others to return.
        """
        ...

    async def hold_if_replaced(
        self, known_first_seq: str, now: float, recovery_seconds: float
    ) -> str:
        """The room's first sequence ('' while it has none), as an opaque mark of the room.

        A mark other than `known_first_seq` (the one this caller last saw; '' if never) means
        the room it knew was lost and replaced: admission is then held `recovery_seconds`, as
        after a first restore, so that nobody who joins the new room goes ahead of the fans of
        the lost one still on their way back. Every instance's admission loop asks before it
        admits; an in-process room is lost only with its process, so it never finds one.
        """
        ...

    async def admit(self, now: float) -> list[str]:
        """Expire lapsed passes, then admit the first waiting ones that slots and rate allow."""
        ...

    async def admitted_since(self, since: float) -> list[tuple[str, float]]:
        """The passes admitted after `since`, oldest first, as (pass id, admitted_at).

        Only the last minute of admissions is kept. This is how every instance learns whom any
        instance let in (for its event streams); whether a pass is admitted is still `view`'s
        answer: the pass may have been used up or have left since.
        """
        ...

    async def sample(self, slot: int, now: float) -> None:
        """Keep the room's figures of `now` (`RoomSample`) as the sample of time slot `slot`,
        unless an instance kept one for that slot already; drop samples past SAMPLES_KEPT."""
        ...

    async def samples_since(self, slot: int) -> dict[int, RoomSample]:
        """The samples kept, by slot, from `slot` on."""
        ...

    async def get_policy(self) -> QueuePolicy: ...

    async def set_policy(self, policy: QueuePolicy) -> None: ...

    async def stats(self, now: float) -> RoomStats: ...

    async def ping(self) -> bool: ...

    def answered_lately(self, window: float) -> bool:
        """Whether the store answered a call within the last `window` seconds and none found
        it unreachable since (`platform/readiness.py`); False tells `/readyz` to ping it."""
        ...

    async def close(self) -> None: ...
