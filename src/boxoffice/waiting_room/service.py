"""Waiting-room use cases: join, check status, leave, validate a pass, admin policy."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from boxoffice.platform.errors import AccountGone, ConcertNotFound
from boxoffice.platform.rate_limit import Limit
from boxoffice.platform.security import PassClaims, TokenSigner
from boxoffice.waiting_room import metrics as room_metrics
from boxoffice.waiting_room.admissions import AdmissionWatch
from boxoffice.waiting_room.domain import (
    PassPlace,
    PassStatus,
    PassView,
    QueuePolicy,
    RestoreOutcome,
    RoomStats,
)
from boxoffice.waiting_room.exceptions import (
    QueueTokenExpired,
    QueueTokenForbidden,
    QueueTokenInvalid,
    QueueTokenNotActive,
)
from boxoffice.waiting_room.limits import rate_limited
from boxoffice.waiting_room.lines import (
    HOUSE,
    ConcertIndex,
    Line,
    Lines,
    LineSet,
    LineStores,
)
from boxoffice.waiting_room.passes import LinePass, QueueStatus, describe
from boxoffice.waiting_room.records import PassRecords
from boxoffice.waiting_room.store import PollGuard, Refused


class WaitingRoom:
    """The waiting room as the rest of the service uses it."""

    def __init__(
        self,
        stores: LineStores,
        lines: Lines,
        concerts: ConcertIndex,
        signer: TokenSigner,
        watch: AdmissionWatch,
        records: PassRecords,
        recovery_seconds: float,
        estimates_kept: int,
        wakeup: asyncio.Event,
    ) -> None:
        """`wakeup`: what the admission loop waits on between its ticks (see `_wake`)."""
        self.stores = stores  # the store of each line
        self.lines = lines  # which concerts have a line of their own
        self._concerts = concerts
        self._signer = signer
        self.watch = watch  # who any instance let in, for this process's event streams
        self._records = records
        self._recovery_seconds = recovery_seconds
        # Join-time estimates of the passes joined through this instance, to measure how far
        # off the estimate was when the pass is admitted here (a sample, on several instances;
        # the oldest dropped past `estimates_kept`: passes left or lapsed elsewhere linger).
        self._estimates: dict[str, tuple[float, int]] = {}
        self._estimates_kept = estimates_kept
        self._wakeup = wakeup
        self._woken: set[Line] = set()  # lines to admit at once (see `woken_lines`)

    def _token(self, view: PassView, line: Line) -> str:
        # Signed with the join time as its issue time, so joining again gives the same token;
        # with the pass's place, so that a lost store can give it back (`_restore`); with its
        # line, which every use of the pass is checked against.
        return self._signer.issue_pass(
            view.user_id,
            view.pass_id,
            datetime.fromtimestamp(view.joined_at, UTC),
            joined_at=view.joined_at,
            place=view.place or None,
            line=line,
        )

    async def line_to_join(self, concert_id: int | None) -> Line:
        """The line a fan asking for `concert_id` joins (none named: the house line): the
        concert's own line if it has one that is not closing, else the house line."""
        if concert_id is None:
            return HOUSE
        return (await self._lines_of(concert_id, at_once=False)).joining(concert_id)

    async def _lines_of(self, concert_id: int, *, at_once: bool) -> LineSet:
        """The lines, once the concert is known to exist (else ConcertNotFound)."""
        lines = await self.lines.current(at_once=at_once)
        if concert_id not in lines.own and not await self._concerts.exists(concert_id):
            raise ConcertNotFound(f"There is no concert {concert_id}.")
        return lines

    async def join(
        self, user_id: int, now: float, line: Line = HOUSE, limits: Sequence[Limit] = ()
    ) -> tuple[QueueStatus, bool]:
        """Join a line, or get one's live pass of it back (joining again never loses a place);
        counted on `limits` first, in the same step of the line's store (RateLimited: over one
        of them, nothing else done)."""
        store = self.stores.of(line)
        try:
            view, created = await store.join(user_id, secrets.token_urlsafe(16), now, limits)
        except Refused as refused:
            raise rate_limited("join", refused.wait_seconds) from None
        status = describe(view, self._token(view, line), now, line)
        if created:
            self._wake(line)
        if created and view.position is not None and self._estimates_kept:
            if len(self._estimates) >= self._estimates_kept:
                self._estimates.pop(next(iter(self._estimates)))
            self._estimates[view.pass_id] = (now, status.estimated_wait_seconds)
        return status, created

    def _wake(self, line: Line) -> None:
        """A join, leave, payment or policy change here touched `line`: the admission loop
        runs at once, and admits that line even if it found it empty at its last count."""
        self._woken.add(line)
        self._wakeup.set()

    def woken_lines(self) -> set[Line]:
        """The lines that a join, a leave, a payment or a policy change through this process
        touched since the last call: the admission loop admits them at once, even if it found
        them empty at its last count."""
        woken, self._woken = self._woken, set()
        return woken

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
        line_pass = await self._live_pass(user_id, token, now, claim=False)
        assert token is not None  # _live_pass accepted it: it is this pass's own token
        return describe(line_pass.view, token, now, line_pass.line)

    async def poll(
        self, user_id: int, token: str | None, now: float, guard: PollGuard
    ) -> QueueStatus:
        """`status` for a fan's poll: limits, the pass and the pace in one step of the store."""
        claims = self.own_pass(user_id, token)
        assert token is not None  # _claims accepted it: it is this pass's own token
        try:
            found = await self.stores.of(claims.line).poll(claims.pass_id, now, guard)
        except Refused as refused:
            raise rate_limited("status", refused.wait_seconds) from None
        if found is None:
            found = await self._restore(claims, now)
        return describe(self._live(found), token, now, claims.line)

    async def await_admission(self, user_id: int, token: str | None) -> None:
        """Return once word comes that the pass was admitted (bound it with `asyncio.timeout`).

        A hint for event streams, not an answer: the caller then reads the pass with `status`.
        """
        await self.watch.wait(self.own_pass(user_id, token).pass_id)

    async def leave(self, user_id: int, token: str | None, now: float) -> None:
        """Give up the place or the active slot."""
        line_pass = await self._live_pass(user_id, token, now, claim=False)
        # Written down first: a pass the database knows was left never comes back, even if
        # the store is lost before (or while) it forgets the pass.
        try:
            await self._records.record_left(user_id, line_pass.pass_id, now)
        except AccountGone:
            # Its account deleted (by an operator): nothing to note it against, and the place
            # or the slot is given back all the same (it stood in the line until it lapsed).
            await self._forget(line_pass, now)
            raise
        await self._forget(line_pass, now)

    async def _forget(self, line_pass: LinePass, now: float) -> None:
        await self.stores.of(line_pass.line).leave(line_pass.pass_id, now)
        self._estimates.pop(line_pass.pass_id, None)
        self._wake(line_pass.line)  # a slot may be free

    async def use_up(self, line_pass: LinePass, now: float) -> bool:
        """End the pass a payment used: its slot goes to the next fan of its line. Whether it
        was ACTIVE."""
        used_up = await self.stores.of(line_pass.line).use_up(line_pass.pass_id, now)
        if used_up:
            self._wake(line_pass.line)  # its slot is free
        return used_up

    async def require_active(self, user_id: int, token: str | None, now: float) -> LinePass:
        """The caller's ACTIVE pass, or the contract's error for why it is not."""
        line_pass = await self._live_pass(user_id, token, now, claim=True)
        if line_pass.view.status is not PassStatus.ACTIVE:
            raise QueueTokenNotActive(
                "Your pass is still waiting in line. Keep this page open; you will be let in."
            )
        return line_pass

    async def require_covers(
        self, line_pass: LinePass, concert_of: Callable[[], Awaitable[int | None]]
    ) -> None:
        """Refuse a pass for another line than the one covering the concert `concert_of`
        names (None: the request names nothing, and its route answers 404; nor is a concert
        that does not exist refused, for the same 404). While no concert has a line of its
        own, a house pass covers everything and nothing is looked up."""
        lines = await self.lines.current()
        if line_pass.line is HOUSE and not lines.own:
            return
        concert_id = await concert_of()
        if concert_id is None or lines.opens(concert_id, line_pass.line):
            return
        # Never refused on what this process read up to a second ago: a line may have been
        # given (or have ended) on another instance since.
        if (await self.lines.current(at_once=True)).opens(concert_id, line_pass.line):
            return
        if not await self._concerts.exists(concert_id):
            return  # a concert that does not exist: the route answers 404, whatever the pass
        if line_pass.line is HOUSE:
            raise QueueTokenForbidden(
                "This concert has a line of its own: join it (POST /api/v1/queue/tokens with "
                f'{{"concert_id": {concert_id}}}) and use that pass.'
            )
        raise QueueTokenForbidden(
            f"This pass is for the line of concert {line_pass.line}, not this concert's: join "
            "this concert's line and use that pass."
        )

    async def _live_pass(
        self, user_id: int, token: str | None, now: float, *, claim: bool
    ) -> LinePass:
        claims = self.own_pass(user_id, token)
        store = self.stores.of(claims.line)
        fetch = store.authorize if claim else store.view
        view = await fetch(claims.pass_id, now)
        if view is None:
            view = await self._restore(claims, now)  # waiting: nothing to claim
        return LinePass(self._live(view), claims.line)

    async def _restore(self, claims: PassClaims, now: float) -> PassView | None:
        """A pass the store does not know: back at its place if its store was lost.

        The store decides from the pass's signed join time whether the pass comes from a room
        that is gone (and was not restored here before); the database, whether its fan gave it
        up or paid with it since. Only then does it wait in line again, at its place.
        """
        if claims.joined_at is None or claims.place is None:
            return None  # signed before passes carried their place
        place = PassPlace(claims.pass_id, claims.user_id, claims.joined_at, claims.place)
        lines = await self.lines.current(at_once=True)
        if claims.line is not None and claims.line not in lines.own:
            return None  # its line has ended: nothing admits it any more
        store = self.stores.of(claims.line)
        found = await store.restore(place, now, self._recovery_seconds, commit=False)
        if found.outcome is RestoreOutcome.RESTORABLE:
            if await self._records.spent(place, claims.line, lines):
                return None
            found = await store.restore(place, now, self._recovery_seconds, commit=True)
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

    async def policy_with_stats(self, line: Line, now: float) -> tuple[QueuePolicy, RoomStats]:
        """A line's admission policy and live figures."""
        store = self.stores.of(line)
        return await store.get_policy(), await store.stats(now)

    async def update_policy(self, line: Line, changes: dict[str, Any]) -> QueuePolicy:
        """Apply a partial policy change to a line, for every instance at once."""
        store = self.stores.of(line)
        policy = replace(await store.get_policy(), **changes)
        await store.set_policy(policy)
        self._wake(line)  # more slots or a faster rate may admit now
        return policy

    async def covering_line(self, concert_id: int) -> Line:
        """The line that covers a concert that exists (else ConcertNotFound), as the database
        says now (the admin's paths: never on another instance's second-old read)."""
        return (await self._lines_of(concert_id, at_once=True)).covering(concert_id)

    async def open_line(self, concert_id: int, changes: dict[str, Any], now: float) -> None:
        """Give a concert its own line, or change the policy of the one it has. A new line
        starts from the house line's policy for the fields not in `changes`; a closing one
        takes fans again, with its own policy."""
        if await self.covering_line(concert_id) is HOUSE:
            base = await self.stores.house.get_policy()
            await self.stores.of(concert_id).set_policy(replace(base, **changes))
        else:
            await self.update_policy(concert_id, changes)
        await self.lines.open(concert_id, now)
        self._wake(concert_id)

    async def close_line(self, concert_id: int, now: float) -> None:
        """Give a concert's own line up: no one joins it from now on, and the concert goes
        back to the house line once the line is empty (the admission loop sees to it)."""
        await self.covering_line(concert_id)  # the concert exists
        await self.lines.close(concert_id, now)
        self._wake(concert_id)

    async def end_if_empty(self, concert_id: int, now: float) -> bool:
        """End a line closing for `Lines.end_grace_seconds` with no one in it, waiting or
        active; whether it ended."""
        lines = await self.lines.current(at_once=True)
        if not lines.may_end(concert_id, now, self.lines.end_grace_seconds):
            return False
        stats = await self.stores.of(concert_id).stats(now)
        if stats.waiting or stats.active or stats.prequeue:
            return False
        await self.lines.end(concert_id)
        return True
