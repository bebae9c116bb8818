"""`SeatHolder` as separate statements inside the unit of work's transaction (SQLite).

One writer at a time on SQLite, so the steps need no more than the transaction; the same steps
are correct on PostgreSQL inside a transaction too, under the locks `ReservationRepository`
takes (the fan's row, then SKIP LOCKED on free seats).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from boxoffice.reservations.domain import HoldOutcome, within_hold_limit
from boxoffice.reservations.holding import HoldAttempt
from boxoffice.reservations.repository import ReservationRepository

__all__ = ["SteppedSeatHolder"]


class SteppedSeatHolder:
    def __init__(self, reservations: ReservationRepository) -> None:
        self._reservations = reservations

    async def hold(
        self,
        user_id: int,
        schedule_id: int,
        numbers: Sequence[int],
        held_until: datetime,
        now: datetime,
        max_held: int,
    ) -> HoldAttempt:
        """A shortfall leaves a reservation row and some seats written: the caller rolls back."""
        already = await self._reservations.lock_fan_and_count_held(user_id, now)
        if not within_hold_limit(already, len(numbers), max_held):
            return HoldAttempt(HoldOutcome.OVER_LIMIT, None, already, ())
        reservation_id = await self._reservations.add(
            user_id, schedule_id, numbers, held_until, now
        )
        taken = await self._reservations.take_seats(
            reservation_id, schedule_id, numbers, held_until, now
        )
        if len(taken) != len(numbers):
            return HoldAttempt(HoldOutcome.SHORT, None, already, tuple(taken))
        await self._reservations.record_seats(reservation_id, taken)
        return HoldAttempt(HoldOutcome.HELD, reservation_id, already, tuple(taken))
