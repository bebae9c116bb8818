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
from boxoffice.waiting_room import metrics as room_metrics

_log = structlog.get_logger(__name__)
SWEEP_BATCH = 500


STATS_EVERY_SECONDS = 2.0


async def admission_loop(container: Container) -> None:
    """Admit fans every interval, or at once when a slot is freed in this process."""
    interval = container.settings.admission_interval_seconds
    recovery = container.settings.queue_recovery_seconds
    stats_due = 0.0
    room = ""  # the room's mark as this instance last saw it (see hold_if_replaced)
    while True:
        try:
            now = container.now_ts()
            room = await container.store.hold_if_replaced(room, now, recovery)
            admitted = await container.store.admit(now)
            if admitted:
                room_metrics.ADMITTED.inc(len(admitted))
                container.waiting_room.note_admitted(admitted, now)
            if now >= stats_due:
                stats_due = now + STATS_EVERY_SECONDS
                room_metrics.observe_room(await container.store.stats(now))
                # Kept by the store, to write back into the room should the store lose it.
                await container.store.get_policy()
                # The board's sample of this time slot, if no instance kept one yet.
                await board.sample_line(container.store, now)
        except Exception as error:  # noqa: BLE001 - the loop must outlive a store hiccup
            _log.warning("admission_failed", error=repr(error))
        stop_if_cancelled()
        container.admission_wakeup.clear()
        # asyncio.timeout, not wait_for: Python 3.11's wait_for, cancelled in the same turn as
        # the wake-up comes, returns and loses the cancel, and the loop would hold shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval):
                await container.admission_wakeup.wait()


async def sweep_once(container: Container) -> int:
    """Mark lapsed holds EXPIRED and free their seats; how many were swept. This process's
    listings show the freed seats from their next read."""
    total = 0
    while True:
        async with container.uow() as uow:
            swept = await uow.reservations.expire_lapsed(container.clock.now(), SWEEP_BATCH)
            await uow.commit()
        if swept:
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
    failing = False
    while True:
        try:
            for change in await news.exchange():
                container.listings.apply(change)
            failing = False
        except Exception as error:  # noqa: BLE001 - news is a hint: the maps catch up by reading
            if not failing:
                _log.warning("seat_news_failed", error=repr(error))
            failing = True
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
            swept = await sweep_once(container)
            if swept:
                metrics.HOLDS_EXPIRED.inc(swept)
        except Exception as error:  # noqa: BLE001 - the loop must outlive a database hiccup
            _log.warning("sweep_failed", error=repr(error))
        stop_if_cancelled()
        await asyncio.sleep(container.settings.sweeper_interval_seconds)
