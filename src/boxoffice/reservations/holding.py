"""The port that holds seats all or nothing: `SeatHolder`, one adapter per database engine.

`holding_steps.SteppedSeatHolder` runs the hold as separate statements in the unit of work's
transaction (SQLite); `holding_postgres.PostgresSeatHolder` runs it as one statement, the
function `bx_hold` (`holding_postgres.sql`). The unit of work picks one for its engine; both pass
tests/contract/test_seat_holder.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from boxoffice.reservations.domain import HoldOutcome, TakenSeat

__all__ = ["HoldAttempt", "SeatHolder"]


@dataclass(frozen=True, slots=True)
class HoldAttempt:
    """What a hold did: a reservation (HELD), or a refusal the caller must not commit."""

    outcome: HoldOutcome
    reservation_id: int | None  # set only when HELD
    already_held: int  # seats the fan held before this request
    seats: tuple[TakenSeat, ...]  # HELD: the seats taken, by number; SHORT: those found free


class SeatHolder(Protocol):
    async def hold(
        self,
        user_id: int,
        schedule_id: int,
        numbers: Sequence[int],
        held_until: datetime,
        now: datetime,
        max_held: int,
    ) -> HoldAttempt:
        """Hold every seat of `numbers` (sorted, distinct) until `held_until`, or none.

        Refused when the fan would then hold more than `max_held` live seats (OVER_LIMIT) or
        when a seat is not free (SHORT). A refusal may leave writes in the transaction: the
        caller rolls it back (it raises, and the unit of work ends without a commit).
        """
        ...
