"""Waiting-room use cases: join, check status, leave, validate a pass, admin policy."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from boxoffice.platform.security import PassClaims, TokenSigner
from boxoffice.waiting_room import limits
from boxoffice.waiting_room import metrics as room_metrics
from boxoffice.waiting_room.admissions import AdmissionWatch
from boxoffice.waiting_room.domain import (
    PassPlace,
    PassStatus,
    PassView,
    QueuePolicy,
    RestoreOutcome,
    RoomStats,
    advise,
)
from boxoffice.waiting_room.exceptions import (
    QueueTokenExpired,
    QueueTokenForbidden,
    QueueTokenInvalid,
    QueueTokenNotActive,
)
from boxoffice.waiting_room.records import PassRecords
from boxoffice.waiting_room.store import PollGuard, PollRefused, WaitingRoomStore


@dataclass(frozen=True, slots=True)
class QueueStatus:
    token: str
    status: PassStatus
    position: int | None
    estimated_wait_seconds: int
    active_until: datetime | None
    poll_after_seconds: int
    opens_at: datetime | None


def _to_datetime(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def describe(view: PassView, token: str, now: float) -> QueueStatus:
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
    )


class WaitingRoom:
    """The waiting room as the rest of the service uses it."""

    def __init__(
        self,
        store: WaitingRoomStore,
        signer: TokenSigner,
        watch: AdmissionWatch,
        records: PassRecords,
        recovery_seconds: float,
        estimates_kept: int,
    ) -> None:
        self.store = store
        self._signer = signer
        self.watch = watch  # who any instance let in, for this process's event streams
        self._records = records
        self._recovery_seconds = recovery_seconds
        # Join-time estimates of the passes joined through this instance, to measure how far
        # off the estimate was when the pass is admitted here (a sample, on several instances;
        # the oldest dropped past `estimates_kept`: passes left or lapsed elsewhere linger).
        self._estimates: dict[str, tuple[float, int]] = {}
        self._estimates_kept = estimates_kept

    def _token(self, view: PassView) -> str:
        # Signed with the join time as its issue time, so joining again gives the same token;
        # with the pass's place, so that a lost store can give it back (`_restore`).
        return self._signer.issue_pass(
            view.user_id,
            view.pass_id,
            datetime.fromtimestamp(view.joined_at, UTC),
            joined_at=view.joined_at,
            place=view.place or None,
        )

    async def join(self, user_id: int, now: float) -> tuple[QueueStatus, bool]:
        """Join the line, or get one's live pass back (joining again never loses a place)."""
        view, created = await self.store.join(user_id, secrets.token_urlsafe(16), now)
        status = describe(view, self._token(view), now)
        if created and view.position is not None and self._estimates_kept:
            if len(self._estimates) >= self._estimates_kept:
                self._estimates.pop(next(iter(self._estimates)))
            self._estimates[view.pass_id] = (now, status.estimated_wait_seconds)
        return status, created

    def note_admitted(self, pass_ids: list[str], now: float) -> None:
        """Wake this process's streams of the admitted passes, and compare the join-time
        estimate of each admitted pass with its actual wait."""
        self.watch.notify(pass_ids)
        for pass_id in pass_ids:
            tracked = self._estimates.pop(pass_id, None)
            if tracked is not None:
                joined_at, estimate = tracked
                actual = now - joined_at
                room_metrics.ESTIMATE_ERROR.observe(abs(estimate - actual) / max(actual, 1.0))

    @property
    def tracked_estimates(self) -> int:
        """The join-time estimates this process keeps now."""
        return len(self._estimates)

    async def status(self, user_id: int, token: str | None, now: float) -> QueueStatus:
        """The pass's place in line or its active window."""
        view = await self._live_pass(user_id, token, now, claim=False)
        assert token is not None  # _live_pass accepted it: it is this pass's own token
        return describe(view, token, now)

    async def poll(
        self, user_id: int, token: str | None, now: float, guard: PollGuard
    ) -> QueueStatus:
        """`status` for a fan's poll: limits, the pass and the pace in one step of the store."""
        claims = self.own_pass(user_id, token)
        assert token is not None  # _claims accepted it: it is this pass's own token
        found = await self.store.poll(claims.pass_id, now, guard)
        if isinstance(found, PollRefused):
            raise limits.rate_limited("status", found.wait_seconds)
        if found is None:
            found = await self._restore(claims, now)
        return describe(self._live(found), token, now)

    async def await_admission(self, user_id: int, token: str | None) -> None:
        """Return once word comes that the pass was admitted (bound it with `asyncio.timeout`).

        A hint for event streams, not an answer: the caller then reads the pass with `status`.
        """
        await self.watch.wait(self.own_pass(user_id, token).pass_id)

    async def leave(self, user_id: int, token: str | None, now: float) -> None:
        """Give up the place or the active slot."""
        view = await self._live_pass(user_id, token, now, claim=False)
        # Written down first: a pass the database knows was left never comes back, even if
        # the store is lost before (or while) it forgets the pass.
        await self._records.record_left(user_id, view.pass_id, now)
        await self.store.leave(view.pass_id, now)
        self._estimates.pop(view.pass_id, None)

    async def use_up(self, pass_id: str, now: float) -> bool:
        """End the pass a payment used: its slot goes to the next fan. Whether it was ACTIVE."""
        return await self.store.use_up(pass_id, now)

    async def require_active(self, user_id: int, token: str | None, now: float) -> PassView:
        """The caller's ACTIVE pass, or the contract's error for why it is not."""
        view = await self._live_pass(user_id, token, now, claim=True)
        if view.status is not PassStatus.ACTIVE:
            raise QueueTokenNotActive(
                "Your pass is still waiting in line. Keep this page open; you will be let in."
            )
        return view

    async def _live_pass(
        self, user_id: int, token: str | None, now: float, *, claim: bool
    ) -> PassView:
        claims = self.own_pass(user_id, token)
        fetch = self.store.authorize if claim else self.store.view
        view = await fetch(claims.pass_id, now)
        if view is None:
            view = await self._restore(claims, now)  # waiting: nothing to claim
        return self._live(view)

    async def _restore(self, claims: PassClaims, now: float) -> PassView | None:
        """A pass the store does not know: back at its place if its store was lost.

        The store decides from the pass's signed join time whether the pass comes from a room
        that is gone (and was not restored here before); the database, whether its fan gave it
        up or paid with it since. Only then does it wait in line again, at its place.
        """
        if claims.joined_at is None or claims.place is None:
            return None  # signed before passes carried their place
        place = PassPlace(claims.pass_id, claims.user_id, claims.joined_at, claims.place)
        found = await self.store.restore(place, now, self._recovery_seconds, commit=False)
        if found.outcome is RestoreOutcome.RESTORABLE:
            if await self._records.spent(place):
                return None
            found = await self.store.restore(place, now, self._recovery_seconds, commit=True)
            if found.outcome is RestoreOutcome.RESTORED:
                room_metrics.RESTORED.inc()
        return found.view

    def own_pass(self, user_id: int, token: str | None) -> PassClaims:
        """The claims of the caller's own pass, from its signature alone (before the store is
        asked anything); the contract's error for a pass that is missing, forged or another's."""
        claims = self._signer.read_pass(token) if token else None
        if claims is None:
            raise QueueTokenInvalid(
                "Send the queue pass from POST /api/v1/queue/tokens as 'X-Queue-Token'."
            )
        if claims.user_id != user_id:
            raise QueueTokenForbidden("This queue pass belongs to another account.")
        return claims

    @staticmethod
    def _live(view: PassView | None) -> PassView:
        if view is None:
            raise QueueTokenExpired(
                "Your queue pass has expired or was used up. Join the line again."
            )
        return view

    async def policy_with_stats(self, now: float) -> tuple[QueuePolicy, RoomStats]:
        """The admission policy and the room's live figures."""
        return await self.store.get_policy(), await self.store.stats(now)

    async def update_policy(self, changes: dict[str, Any]) -> QueuePolicy:
        """Apply a partial policy change for every instance at once."""
        policy = replace(await self.store.get_policy(), **changes)
        await self.store.set_policy(policy)
        return policy
