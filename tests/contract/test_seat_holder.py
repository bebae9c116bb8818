"""Every `SeatHolder` adapter holds seats by the same rules, checked against one model.

Hypothesis plays random sequences of holds by three fans on a small date, with time passing
between them, against each adapter: the steps on SQLite, the function `bx_hold` on
PostgreSQL, and the steps on PostgreSQL too (inside a transaction). Every answer must be the
model's (so the adapters answer alike), and after every request the stored seats are the
model's and no seat belongs to two live reservations. A refused hold is rolled back by its
caller, as the service does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boxoffice.reservations.domain import HoldOutcome
from boxoffice.reservations.holding import SeatHolder
from boxoffice.reservations.holding_postgres import PostgresSeatHolder
from boxoffice.reservations.holding_steps import SteppedSeatHolder
from boxoffice.unit_of_work import UnitOfWork
from tests.contract.money import (
    FANS,
    HOLD,
    PRICES,
    SCHEDULE,
    T0,
    Booking,
    SeatsModel,
    Venue,
    prepare,
    venue,
)

MAX_HELD = 3
WAITS = [30, 150, 299, 300, 301, 600]
# A seat number past the date's last seat: a hold naming it is short.
NUMBERS = [*PRICES, max(PRICES) + 1]


def _own(uow: UnitOfWork) -> SeatHolder:
    return uow.seat_holder


def _steps(uow: UnitOfWork) -> SeatHolder:
    return SteppedSeatHolder(uow.reservations)


# (engine, adapter, whether the adapter needs no transaction of its own)
ADAPTERS: dict[str, tuple[str, Callable[[UnitOfWork], SeatHolder], bool]] = {
    "steps-on-sqlite": ("sqlite", _own, False),
    "function-on-postgresql": ("postgresql", _own, True),
    "steps-on-postgresql": ("postgresql", _steps, False),
}

holds = st.tuples(
    st.just("hold"),
    st.sampled_from(FANS),
    st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3, unique=True).map(sorted),
)
waits = st.tuples(st.just("wait"), st.sampled_from(WAITS), st.just([]))
scripts = st.lists(st.one_of(holds, holds, holds, waits), min_size=1, max_size=25)


async def _hold(
    shop: Venue, adapter: str, fan: int, numbers: list[int], now: datetime
) -> tuple[object, ...]:
    _, pick, autocommit = ADAPTERS[adapter]
    async with shop.uow(autocommit=autocommit) as uow:
        holder = pick(uow)
        if adapter != "steps-on-sqlite" and pick is _own:
            assert isinstance(holder, PostgresSeatHolder)
        elif pick is _own:
            assert isinstance(holder, SteppedSeatHolder)
        attempt = await holder.hold(fan, SCHEDULE, numbers, now + HOLD, now, MAX_HELD)
        if attempt.outcome is HoldOutcome.HELD:
            await uow.commit()
    return (attempt.outcome, attempt.reservation_id, attempt.already_held, attempt.seats)


async def _play(adapter: str, script: list[tuple[str, int, list[int]]]) -> None:
    async with venue(ADAPTERS[adapter][0]) as shop:
        model, now = SeatsModel.empty(), T0
        for call, arg, numbers in script:
            if call == "wait":
                now += timedelta(seconds=arg)
                continue
            fan = arg
            outcome, reservation_id, already, seats = await _hold(shop, adapter, fan, numbers, now)
            expected_already = model.live_held(fan, now)
            assert already == expected_already
            free = [n for n in numbers if model.is_free(n, now)]
            if expected_already + len(numbers) > MAX_HELD:
                assert (outcome, seats) == (HoldOutcome.OVER_LIMIT, ())
            elif len(free) < len(numbers):
                assert outcome is HoldOutcome.SHORT
                assert [s.number for s in seats] == free
            else:
                assert outcome is HoldOutcome.HELD
                assert [(s.number, s.price) for s in seats] == [(n, PRICES[n]) for n in numbers]
                assert reservation_id is not None
                model.take(Booking(reservation_id, fan, tuple(numbers), now + HOLD))
            if outcome is not HoldOutcome.HELD:
                assert reservation_id is None
            assert await shop.seats() == model.expected_seat_rows()
            assert all(count == 1 for count in (await shop.live_claims_per_seat(now)).values())


@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_every_adapter_holds_as_the_rules_say(adapter: str) -> None:
    prepare(ADAPTERS[adapter][0])

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scripts)
    def holds_as_the_model(script: list[tuple[str, int, list[int]]]) -> None:
        asyncio.run(_play(adapter, script))

    holds_as_the_model()
