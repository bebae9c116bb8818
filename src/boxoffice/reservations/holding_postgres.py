"""`SeatHolder` as one statement on PostgreSQL: the function `bx_hold`, whose SQL is the file
beside this one (`holding_postgres.sql`, loaded by the migrations).

The function runs the steps of `holding_steps.SteppedSeatHolder` in the same order and under
the same locks, but is all or nothing by itself: a refusal writes nothing, so it needs no
transaction of the caller's (the route runs it in autocommit). It answers a `HoldOutcome`'s
value.

Holds asked for together go together (`HoldCombiner`, a `platform.batching.StatementBatcher`):
one statement calls `bx_hold` once per hold, in turn, so each sees the ones before it as if they
had been sent one by one. A batch takes its holds in the fans' id order, so every batch locks
fans' rows in one order and batches wait for each other in one direction only
(`platform/batching.py` says what is left).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from boxoffice.platform.batching import BATCHES_AT_ONCE, MOST_IN_A_BATCH, StatementBatcher
from boxoffice.platform.database import OnDemandConnection
from boxoffice.reservations.domain import HoldOutcome, TakenSeat
from boxoffice.reservations.holding import HoldAttempt

__all__ = ["HoldCombiner", "PostgresSeatHolder"]

# The holds of a batch, one row each (`i` its place), each hold's seats a slice of `numbers`.
# `bx_hold` is VOLATILE: each call sees what the calls before it wrote.
HOLD_ALL = text(
    "SELECT b.i, h.outcome, h.reservation_id, h.held, h.seat_ids, h.seat_numbers, h.seat_prices "
    "FROM unnest(CAST(:user_ids AS bigint[]), CAST(:schedule_ids AS bigint[]), "
    "CAST(:firsts AS integer[]), CAST(:lasts AS integer[]), "
    "CAST(:held_untils AS timestamptz[]), CAST(:nows AS timestamptz[]), "
    "CAST(:max_helds AS integer[])) WITH ORDINALITY AS b(u, s, f, l, hu, n, m, i) "
    "CROSS JOIN LATERAL bx_hold(b.u, b.s, (CAST(:numbers AS integer[]))[b.f:b.l], "
    "b.hu, b.n, b.m) AS h "
    "ORDER BY b.i"
)


@dataclass(frozen=True, slots=True)
class _Hold:
    """The arguments of one `bx_hold`."""

    user_id: int
    schedule_id: int
    numbers: tuple[int, ...]
    held_until: datetime
    now: datetime
    max_held: int


async def _send(connection: AsyncConnection, batch: Sequence[_Hold]) -> list[HoldAttempt]:
    """Every hold of `batch` in one statement, in order; all or none written if it fails."""
    numbers: list[int] = []
    firsts: list[int] = []
    lasts: list[int] = []
    for hold in batch:
        firsts.append(len(numbers) + 1)  # PostgreSQL's arrays count from 1
        numbers.extend(hold.numbers)
        lasts.append(len(numbers))
    rows = (
        await connection.execute(
            HOLD_ALL,
            {
                "user_ids": [h.user_id for h in batch],
                "schedule_ids": [h.schedule_id for h in batch],
                "firsts": firsts,
                "lasts": lasts,
                "held_untils": [h.held_until for h in batch],
                "nows": [h.now for h in batch],
                "max_helds": [h.max_held for h in batch],
                "numbers": numbers,
            },
        )
    ).all()
    assert [row.i for row in rows] == list(range(1, len(batch) + 1))
    return [_attempt(row) for row in rows]


def _attempt(row: Row[Any]) -> HoldAttempt:
    seats = tuple(
        TakenSeat(int(i), int(n), int(p))
        for i, n, p in zip(
            row.seat_ids or [], row.seat_numbers or [], row.seat_prices or [], strict=True
        )
    )
    outcome = HoldOutcome(row.outcome)
    reservation_id = int(row.reservation_id) if outcome is HoldOutcome.HELD else None
    return HoldAttempt(outcome, reservation_id, int(row.held), seats)


class HoldCombiner(StatementBatcher[_Hold, HoldAttempt]):
    """This process's holds on PostgreSQL, sent together when asked for together."""

    def __init__(self, batches_at_once: int = BATCHES_AT_ONCE, most: int = MOST_IN_A_BATCH) -> None:
        super().__init__(
            "bx_hold",
            _send,
            lambda hold: hold.user_id,
            batches_at_once=batches_at_once,
            most=most,
        )


class PostgresSeatHolder:
    def __init__(
        self, connection: OnDemandConnection, combiner: HoldCombiner | None = None
    ) -> None:
        self._connection = connection
        self._combiner = combiner

    async def hold(
        self,
        user_id: int,
        schedule_id: int,
        numbers: Sequence[int],
        held_until: datetime,
        now: datetime,
        max_held: int,
    ) -> HoldAttempt:
        """The whole hold in one round trip: with the holds asked for at the same time, when
        this process combines them."""
        hold = _Hold(user_id, schedule_id, tuple(numbers), held_until, now, max_held)
        if self._combiner is not None:
            return await self._combiner.run(self._connection, hold)
        (attempt,) = await _send(await self._connection.connection(), [hold])
        return attempt
