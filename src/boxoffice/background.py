"""Work every instance runs in the background: admission (and the board's samples of the line),
the expired-hold sweeper, and the seat news between processes (catalog/seat_news.py).

All are safe to run on every instance at once: admission is one atomic step in the store, the
sweeper uses conditional updates with SKIP LOCKED, and news is only a hint for listings. No
instance is special.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from boxoffice.board import service as board
from boxoffice.bootstrap import Container
from boxoffice.platform import metrics
from boxoffice.platform.cancellation import stop_if_cancelled
from boxoffice.platform.logging import Failing
from boxoffice.waiting_room import metrics as room_metrics
from boxoffice.waiting_room.lines import Line, LineSet, line_label

_log = structlog.get_logger(__name__)
SWEEP_BATCH = 500


STATS_EVERY_SECONDS = 2.0


class _LineTurn:
    """What the admission loop keeps of one line between its turns."""

    __slots__ = ("idle", "recovering_until", "room")

    def __init__(self) -> None:
        self.room = ""  # the room's mark as this instance last saw it (see hold_if_replaced)
        self.idle = False  # no one waiting or active at the last count: admitted with the stats
        # A room found replaced (its store lost) looks empty while its fans come back: a
        # closing line is not ended before then.
        self.recovering_until = 0.0


async def admission_loop(container: Container) -> None:
    """Admit fans to every line every interval, or at once when a slot is freed or a fan joins
    in this process.

    Each line is admitted by its own atomic step, with its own slots and rate, so a busy line
    never takes a quiet one's turn; a line found empty at the last count (every
    STATS_EVERY_SECONDS) is not asked again until the next count or until a join, leave,
    payment or policy change here touches it, so a tick costs a step per line with fans.
    """
    interval = container.settings.admission_interval_seconds
    stats_due = 0.0
    turns: dict[Line, _LineTurn] = {}
    lines = LineSet()  # the house line alone, until the database first answers
    unread, failing = Failing(_log, "lines_unread"), Failing(_log, "admission_failed")
    while True:
        now = container.now_ts()
        counting = now >= stats_due
        if counting:
            stats_due = now + STATS_EVERY_SECONDS
        try:
            lines = await container.waiting_room.lines.current()
            unread.succeeded()
        except Exception as error:  # noqa: BLE001 - the lines last read still admit
            unread.failed(error)
        lines = await _admission_tick(container, lines, turns, now, counting, failing)
        stop_if_cancelled()
        container.admission_wakeup.clear()
        # asyncio.timeout, not wait_for: Python 3.11's wait_for, cancelled in the same turn as
        # the wake-up comes, returns and loses the cancel, and the loop would hold shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval):
                await container.admission_wakeup.wait()


async def _admission_tick(
    container: Container,
    lines: LineSet,
    turns: dict[Line, _LineTurn],
    now: float,
    counting: bool,
    failing: Failing,
) -> LineSet:
    """One turn of every line, each on its own (one whose Redis node is down does not stop the
    others); the lines as they are after it (a closing line may have ended)."""
    room = container.waiting_room
    woken = room.woken_lines()
    for line in lines.lines():
        turn = turns.setdefault(line, _LineTurn())
        if line in woken:
            turn.idle = False  # touched here since the count: someone may be let in
        try:
            if counting or not turn.idle:
                await _admit_line(container, line, turn, now, counting)
                failing.succeeded(line, line=line_label(line))  # a line skipped proves nothing
            if counting and turn.idle and await _ended(container, lines, line, turn, now):
                lines = await room.lines.current()  # read again: it ended
        except Exception as error:  # noqa: BLE001 - the loop must outlive a store hiccup
            failing.failed(error, line, line=line_label(line))
    for gone in set(turns) - {*lines.lines()}:
        del turns[gone]  # ended (here or on another instance): its store and figures go
        if gone is not None:
            room.stores.forget(gone)
            room_metrics.forget_line(line_label(gone))
    return lines


async def _ended(
    container: Container, lines: LineSet, line: Line, turn: _LineTurn, now: float
) -> bool:
    """A closing line found empty ends (see WaitingRoom.end_if_empty): its concert goes back to
    the house line. Not while its room is being recovered."""
    if line is None or line not in lines.closing or now < turn.recovering_until:
        return False
    return await container.waiting_room.end_if_empty(line, now)


async def _admit_line(
    container: Container, line: Line, turn: _LineTurn, now: float, counting: bool
) -> None:
    """One line's turn: admit whom its slots and rate allow; with `counting`, also publish its
    figures, keep its policy (written back should the store lose the room) and the board's
    sample of this time slot."""
    room = container.waiting_room
    store = room.stores.of(line)
    label = line_label(line)
    recovery = container.settings.queue_recovery_seconds
    mark = await store.hold_if_replaced(turn.room, now, recovery)
    if turn.room and mark != turn.room:
        turn.recovering_until = now + recovery
    turn.room = mark
    admitted = await store.admit(now)
    if admitted:
        room_metrics.ADMITTED.labels(label).inc(len(admitted))
        room.note_admitted(admitted, now)
    if counting:
        stats = await store.stats(now)
        room_metrics.observe_room(label, stats)
        turn.idle = not (stats.waiting or stats.active or stats.prequeue)
        await store.get_policy()
        await board.sample_line(store, now)


async def sweep_once(container: Container) -> int:
    """Mark lapsed holds EXPIRED and free their seats; how many were swept. This process's
    listings show the freed seats from their next read. Each batch is counted as it commits
    (a sweep that fails later has swept those all the same)."""
    total = 0
    while True:
        async with container.uow() as uow:
            swept = await uow.reservations.expire_lapsed(container.clock.now(), SWEEP_BATCH)
            await uow.commit()
        if swept:
            metrics.HOLDS_EXPIRED.inc(swept)
            container.listings.seats_changed_somewhere()
        total += swept
        if swept < SWEEP_BATCH:
            return total


# How often each process sends its seat news and reads the others' (catalog/seat_news.py).
SEAT_NEWS_SECONDS = 0.1


async def seat_news_loop(container: Container) -> None:
    """Tell the other processes what this one's writes did to seats, and show what theirs did
    in this one's seat maps, every SEAT_NEWS_SECONDS; with no news (one process), nothing."""
    news = container.listings.news
    if news is None:
        return
    failing = Failing(_log, "seat_news_failed")
    while True:
        try:
            for change in await news.exchange():
                container.listings.apply(change, news=True)
            failing.succeeded()
        except Exception as error:  # noqa: BLE001 - news is a hint: the maps catch up by reading
            failing.failed(error)
        stop_if_cancelled()
        await asyncio.sleep(SEAT_NEWS_SECONDS)


def observe_caches(container: Container) -> None:
    """Publish how full this process's bounded caches are."""
    access_tokens, passes = container.signer.kept
    metrics.CACHE_ENTRIES.labels("verified_access_tokens").set(access_tokens)
    metrics.CACHE_ENTRIES.labels("verified_passes").set(passes)
    metrics.CACHE_ENTRIES.labels("seat_layout_seats").set(container.listings.seat_layouts.seats)
    metrics.CACHE_ENTRIES.labels("wait_estimates").set(container.waiting_room.tracked_estimates)


async def sweeper_loop(container: Container) -> None:
    """Run the sweeper every interval, forever; publish the caches' fill as it goes."""
    while True:
        observe_caches(container)
        try:
            await sweep_once(container)
        except Exception as error:  # noqa: BLE001 - the loop must outlive a database hiccup
            _log.warning("sweep_failed", error=repr(error))
        stop_if_cancelled()
        await asyncio.sleep(container.settings.sweeper_interval_seconds)
