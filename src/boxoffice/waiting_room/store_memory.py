"""The in-process waiting-room store of the embedded default (one process only).

Each method runs without awaiting, so on one event loop every method is atomic.
"""

from __future__ import annotations

import itertools
import secrets
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from sortedcontainers import SortedList

from boxoffice.platform.rate_limit import NO_PACE, Limit, MemoryRateLimiter
from boxoffice.waiting_room.domain import (
    ADMISSION_WINDOW_SECONDS,
    SAMPLES_KEPT,
    PassPlace,
    PassStatus,
    PassView,
    QueuePolicy,
    Restored,
    RestoreOutcome,
    RoomSample,
    RoomStats,
    admissible,
    advise,
    claim_deadline,
    place_of,
    refill_tokens,
    sequence_floor,
)
from boxoffice.waiting_room.store import PollGuard, Refused


@dataclass(slots=True)
class _Pass:
    pass_id: str
    user_id: int
    joined_at: float
    seq: int | None = None
    status: PassStatus = PassStatus.WAITING
    admitted_at: float | None = None
    active_until: float | None = None
    claimed: bool = False
    place: int = 0
    due_at: float | None = None  # when the fan of a waiting pass was told to come back


class MemoryWaitingRoomStore:
    """Line, passes and admission in this process's memory."""

    def __init__(self, policy: QueuePolicy, limiter: MemoryRateLimiter | None = None) -> None:
        """A store whose polls are checked against `limiter` (the process's own, so that polls
        and joins count on the same counters); a limiter of its own if none is given."""
        self._policy = policy
        self._limiter = limiter or MemoryRateLimiter()
        self._passes: dict[str, _Pass] = {}
        self._by_user: dict[int, str] = {}
        self._line: SortedList[tuple[int, str]] = SortedList()
        self._prequeue: list[str] = []
        self._active: set[str] = set()
        # The passes active when max_active was last lowered below them, and the cap they were
        # let in under (RoomStats.kept_from_higher_cap).
        self._kept: set[str] = set()
        self._kept_cap = 0
        self._samples: dict[int, RoomSample] = {}  # the board's, by time slot
        # The last join sequence given, and the room's first (fixed by its first join or restore;
        # see domain.sequence_floor): passes joined before it came from a room that was lost.
        self._last_seq: int | None = None
        self._first_seq: int | None = None
        self._restored: set[str] = set()
        self._recovering_until: float | None = None
        self._tokens = float(policy.burst)
        self._last_refill: float | None = None
        self._admissions: deque[tuple[float, str]] = deque()  # (admitted_at, pass id)
        self._admitted_total = 0
        self._expired_total = 0
        self._abandoned_total = 0

    async def join(
        self, user_id: int, pass_id: str, now: float, limits: Sequence[Limit] = ()
    ) -> tuple[PassView, bool]:
        wait = self._limiter.check_now(NO_PACE, limits, now)
        if wait > 0:
            raise Refused(wait)
        self._room_first_seq(now)
        existing = self._live(self._by_user.get(user_id), now)
        if existing is not None:
            return self._advised(existing, now)[0], False
        entry = _Pass(pass_id=pass_id, user_id=user_id, joined_at=now)
        self._passes[pass_id] = entry
        self._by_user[user_id] = pass_id
        if self._policy.opens_at is not None and now < self._policy.opens_at:
            self._prequeue.append(pass_id)
        else:
            self._open_prequeue(now)  # those who waited for the opening go first
            self._enqueue(entry, now)
        entry.place = place_of(entry.seq, now, self._policy.opens_at)
        return self._advised(entry, now)[0], True

    async def view(self, pass_id: str, now: float) -> PassView | None:
        entry = self._live(pass_id, now)
        return None if entry is None else self._view(entry, now)

    async def poll(self, pass_id: str, now: float, guard: PollGuard) -> PassView | None:
        if guard.pace_key and self._limiter.paced_for(guard.pace_key, now) > 0:
            # The pace is for a waiting pass: admitted since, the fan is not kept waiting.
            entry = self._live(pass_id, now)
            if entry is not None and entry.status is PassStatus.ACTIVE:
                self._limiter.pace_now(guard.pace_key, 0, now)
        wait = self._limiter.check_now(guard.pace_key or NO_PACE, guard.limits, now)
        if wait > 0:
            raise Refused(wait)
        entry = self._live(pass_id, now)
        if entry is None:
            return None
        view, due_in = self._advised(entry, now)
        if due_in is not None and guard.pace_key and guard.pace_ratio > 0:
            self._limiter.pace_now(guard.pace_key, due_in * guard.pace_ratio, now)
        return view

    async def authorize(self, pass_id: str, now: float) -> PassView | None:
        entry = self._live(pass_id, now)
        if entry is None:
            return None
        if entry.status is PassStatus.ACTIVE and not entry.claimed:
            assert entry.admitted_at is not None
            entry.claimed = True
            # As lua/view.lua: never before the end of the claim window it was claimed in.
            assert entry.active_until is not None
            entry.active_until = max(
                entry.admitted_at + self._policy.active_ttl_seconds, entry.active_until
            )
        return self._view(entry, now)

    async def leave(self, pass_id: str, now: float) -> bool:
        entry = self._live(pass_id, now)
        if entry is None:
            return False
        self._remove(entry)
        return True

    async def use_up(self, pass_id: str, now: float) -> bool:
        entry = self._live(pass_id, now)
        if entry is None or entry.status is not PassStatus.ACTIVE:
            return False
        self._remove(entry)
        return True

    async def restore(
        self, place: PassPlace, now: float, recovery_seconds: float, *, commit: bool
    ) -> Restored:
        entry = self._live(place.pass_id, now)
        if entry is not None:
            return Restored(RestoreOutcome.LIVE, self._advised(entry, now)[0])
        first = self._room_first_seq(now)
        if sequence_floor(place.joined_at) >= first or place.pass_id in self._restored:
            return Restored(RestoreOutcome.ENDED)
        if self._live(self._by_user.get(place.user_id), now) is not None:
            return Restored(RestoreOutcome.SUPERSEDED)
        if not commit:
            return Restored(RestoreOutcome.RESTORABLE)
        self._restored.add(place.pass_id)
        entry = _Pass(place.pass_id, place.user_id, place.joined_at, place=place.place)
        self._passes[entry.pass_id] = entry
        self._by_user[entry.user_id] = entry.pass_id
        if self._policy.opens_at is not None and now < self._policy.opens_at:
            self._prequeue.append(entry.pass_id)
        else:
            entry.seq = place.place
            self._line.add((entry.seq, entry.pass_id))
        if self._recovering_until is None:
            self._recovering_until = now + recovery_seconds
        return Restored(RestoreOutcome.RESTORED, self._advised(entry, now)[0])

    async def hold_if_replaced(
        self, known_first_seq: str, now: float, recovery_seconds: float
    ) -> str:
        # This room lives as long as its process: a caller in the same process saw no other.
        return "" if self._first_seq is None else str(self._first_seq)

    async def admit(self, now: float) -> list[str]:
        self._expire_active(now)
        policy = self._policy
        if policy.opens_at is not None and now < policy.opens_at:
            return []
        # After a lost store, nobody is let in until the fans still away came back (restore).
        if self._recovering_until is not None and now < self._recovering_until:
            return []
        self._open_prequeue(now)
        last = now if self._last_refill is None else self._last_refill
        self._tokens = refill_tokens(self._tokens, last, now, policy)
        # Never move the mark back: a clock stepping back would refill one interval twice. The
        # admissions are stamped with it, so their times follow the order of the line.
        mark = self._last_refill = max(last, now)
        count = admissible(policy.max_active - len(self._active), self._tokens, len(self._line))
        admitted: list[str] = []
        for _ in range(count):
            _, pass_id = self._line.pop(0)
            entry = self._passes[pass_id]
            entry.status = PassStatus.ACTIVE
            entry.admitted_at = mark
            entry.active_until = claim_deadline(mark, entry.due_at, policy.claim_window_seconds)
            self._active.add(pass_id)
            self._admissions.append((mark, pass_id))
            admitted.append(pass_id)
        self._tokens -= count
        self._admitted_total += count
        self._admitted_since(now - ADMISSION_WINDOW_SECONDS)  # keeps the last minute, as Redis
        return admitted

    async def admitted_since(self, since: float) -> list[tuple[str, float]]:
        # In time order: only the newest few are read, from the right.
        newest = reversed(self._admissions)
        found = list(itertools.takewhile(lambda entry: entry[0] > since, newest))
        return [(pass_id, at) for at, pass_id in reversed(found)]

    async def sample(self, slot: int, now: float) -> None:
        if slot in self._samples:
            return
        stats = await self.stats(now)
        self._samples[slot] = RoomSample(stats.waiting, stats.active, stats.admitted_total)
        for old in [kept for kept in self._samples if kept <= slot - SAMPLES_KEPT]:
            del self._samples[old]

    async def samples_since(self, slot: int) -> dict[int, RoomSample]:
        return {kept: sample for kept, sample in self._samples.items() if kept >= slot}

    async def get_policy(self) -> QueuePolicy:
        return self._policy

    async def set_policy(self, policy: QueuePolicy) -> None:
        if policy.max_active < self._policy.max_active:  # lowered (lua/policy.lua alike)
            # Those still kept from an earlier lowering count up to their cap, no more.
            cap = max(self._policy.max_active, min(len(self._kept), self._kept_cap))
            if policy.max_active < len(self._active):
                self._kept, self._kept_cap = set(self._active), cap
            else:
                self._kept, self._kept_cap = set(), 0
        self._policy = policy
        self._tokens = min(self._tokens, float(policy.burst))

    async def stats(self, now: float) -> RoomStats:
        self._expire_active(now)
        return RoomStats(
            waiting=len(self._line) + len(self._prequeue),
            active=len(self._active),
            admitted_last_minute=self._admitted_since(now - ADMISSION_WINDOW_SECONDS),
            admitted_total=self._admitted_total,
            expired_total=self._expired_total,
            abandoned_total=self._abandoned_total,
            prequeue=len(self._prequeue),
            kept_from_higher_cap=min(len(self._kept), self._kept_cap),
        )

    async def ping(self) -> bool:
        return True

    def answered_lately(self, window: float) -> bool:
        return False  # a ping costs nothing here

    async def close(self) -> None:
        return None

    def _room_first_seq(self, now: float) -> int:
        if self._first_seq is None:
            self._first_seq = self._last_seq = sequence_floor(now)
        return self._first_seq

    def _enqueue(self, entry: _Pass, now: float) -> None:
        last = self._last_seq if self._last_seq is not None else self._room_first_seq(now)
        entry.seq = self._last_seq = max(last + 1, sequence_floor(now))
        self._line.add((entry.seq, entry.pass_id))

    def _open_prequeue(self, now: float) -> None:
        # The pre-queue is shuffled exactly once, with a CSPRNG, by the first admit or join after
        # the opening (lua/common.lua's open_prequeue).
        if not self._prequeue:
            return
        order = list(self._prequeue)
        secrets.SystemRandom().shuffle(order)
        self._prequeue.clear()
        for pass_id in order:
            self._enqueue(self._passes[pass_id], now)

    def _live(self, pass_id: str | None, now: float) -> _Pass | None:
        entry = self._passes.get(pass_id) if pass_id else None
        if entry is None:
            return None
        if entry.active_until is not None and entry.active_until <= now:
            self._expire(entry)
            return None
        return entry

    def _expire_active(self, now: float) -> None:
        for pass_id in list(self._active):
            self._live(pass_id, now)

    def _expire(self, entry: _Pass) -> None:
        self._expired_total += 1
        if not entry.claimed:
            self._abandoned_total += 1
        self._remove(entry)

    def _remove(self, entry: _Pass) -> None:
        self._passes.pop(entry.pass_id, None)
        if self._by_user.get(entry.user_id) == entry.pass_id:
            del self._by_user[entry.user_id]
        self._active.discard(entry.pass_id)
        self._kept.discard(entry.pass_id)
        if entry.seq is not None:
            self._line.discard((entry.seq, entry.pass_id))
        if entry.pass_id in self._prequeue:
            self._prequeue.remove(entry.pass_id)

    def _admitted_since(self, since: float) -> int:
        while self._admissions and self._admissions[0][0] <= since:
            self._admissions.popleft()
        return len(self._admissions)

    def _view(self, entry: _Pass, now: float) -> PassView:
        position = None
        if entry.status is PassStatus.WAITING and entry.seq is not None:
            position = self._line.index((entry.seq, entry.pass_id)) + 1
        return PassView(
            pass_id=entry.pass_id,
            user_id=entry.user_id,
            status=entry.status,
            joined_at=entry.joined_at,
            position=position,
            active_until=entry.active_until,
            opens_at=self._policy.opens_at if entry.seq is None else None,
            recent_admissions=self._admitted_since(now - ADMISSION_WINDOW_SECONDS),
            oldest_admission_at=self._admissions[0][0] if self._admissions else None,
            admit_per_minute=self._policy.admit_per_minute,
            place=entry.place,
        )

    def _advised(self, entry: _Pass, now: float) -> tuple[PassView, int | None]:
        """The view of a pass whose fan is told when to come back (a join, poll or restore),
        and for a waiting pass that interval, noted as when the fan is due (lua/common.lua's
        note_due); None for an active pass."""
        view = self._view(entry, now)
        if entry.status is not PassStatus.WAITING:
            return view, None
        due_in = advise(view, now).poll_after_seconds
        entry.due_at = now + due_in
        return view, due_in
