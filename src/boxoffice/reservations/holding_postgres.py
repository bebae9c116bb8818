"""`SeatHolder` as one statement on PostgreSQL: the function `bx_hold`, whose SQL is the file
beside this one (`holding_postgres.sql`, loaded by the migrations).

The function runs the steps of `holding_steps.SteppedSeatHolder` in the same order and under
the same locks, but is all or nothing by itself: a refusal writes nothing, so it needs no
transaction of the caller's (the route runs it in autocommit). It answers a `HoldOutcome`'s
value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.reservations.domain import HoldOutcome, TakenSeat
from boxoffice.reservations.holding import HoldAttempt

__all__ = ["PostgresSeatHolder"]

_HOLD = text(
    "SELECT outcome, reservation_id, held, seat_ids, seat_numbers, seat_prices "
    "FROM bx_hold(:user_id, :schedule_id, :numbers, :held_until, :now, :max_held)"
)


class PostgresSeatHolder:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def hold(
        self,
        user_id: int,
        schedule_id: int,
        numbers: Sequence[int],
        held_until: datetime,
        now: datetime,
        max_held: int,
    ) -> HoldAttempt:
        """The whole hold in one round trip."""
        row = (
            await self._connection.execute(
                _HOLD,
                {
                    "user_id": user_id,
                    "schedule_id": schedule_id,
                    "numbers": list(numbers),
                    "held_until": held_until,
                    "now": now,
                    "max_held": max_held,
                },
            )
        ).one()
        seats = tuple(
            TakenSeat(int(i), int(n), int(p))
            for i, n, p in zip(
                row.seat_ids or [], row.seat_numbers or [], row.seat_prices or [], strict=True
            )
        )
        outcome = HoldOutcome(row.outcome)
        reservation_id = int(row.reservation_id) if outcome is HoldOutcome.HELD else None
        return HoldAttempt(outcome, reservation_id, int(row.held), seats)
