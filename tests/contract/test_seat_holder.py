"""Every `SeatHolder` adapter holds seats by the same rules, checked against one model.

Hypothesis plays random sequences of holds by three fans on a small date, with time passing
between them, against each adapter: the steps on SQLite, the function `bx_hold` on
PostgreSQL (each hold alone, and holds asked for together combined into one statement by a
`HoldCombiner`), and the steps on PostgreSQL too (inside a transaction). Every answer must be
the model's (so the adapters answer alike), and after every request the stored seats are the
model's and no seat belongs to two live reservations. A refused hold is rolled back by its
caller, as the service does.

Holds asked for together (at the same instant, each by its own request) are answered as if
sent one by one in the fans' order: the combiner sends them as one batch in that order, the
other adapters get them one by one in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from boxoffice.reservations.domain import HoldOutcome, TakenSeat
from boxoffice.reservations.holding import HoldAttempt, SeatHolder
from boxoffice.reservations.holding_postgres import HoldCombiner, PostgresSeatHolder
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
    "batches-on-postgresql": ("postgresql", _own, True),
    "steps-on-postgresql": ("postgresql", _steps, False),
}
COMBINING = "batches-on-postgresql"

Hold = tuple[int, list[int]]  # (fan, seat numbers)
hold_args = st.tuples(
    st.sampled_from(FANS),
    st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3, unique=True).map(sorted),
)
holds = st.tuples(st.just("hold"), st.just(0), hold_args.map(lambda h: [h]))
together = st.tuples(st.just("together"), st.just(0), st.lists(hold_args, min_size=2, max_size=4))
waits = st.tuples(st.just("wait"), st.sampled_from(WAITS), st.just([]))
scripts = st.lists(st.one_of(holds, holds, holds, together, waits), min_size=1, max_size=25)


def _batches_sent() -> float:
    return REGISTRY.get_sample_value("boxoffice_batch_size_count", {"statement": "bx_hold"}) or 0.0


def _pick(adapter: str, uow: UnitOfWork) -> SeatHolder:
    _, pick, _ = ADAPTERS[adapter]
    holder = pick(uow)
    if adapter != "steps-on-sqlite" and pick is _own:
        assert isinstance(holder, PostgresSeatHolder)
    elif pick is _own:
        assert isinstance(holder, SteppedSeatHolder)
    return holder


Answer = tuple[HoldOutcome, int | None, int, tuple[TakenSeat, ...]]


def _answer(attempt: HoldAttempt) -> Answer:
    return (attempt.outcome, attempt.reservation_id, attempt.already_held, attempt.seats)


async def _hold(shop: Venue, adapter: str, fan: int, numbers: list[int], now: datetime) -> Answer:
    async with shop.uow(autocommit=ADAPTERS[adapter][2]) as uow:
        attempt = await _pick(adapter, uow).hold(fan, SCHEDULE, numbers, now + HOLD, now, MAX_HELD)
        if attempt.outcome is HoldOutcome.HELD:
            await uow.commit()
    return _answer(attempt)


async def _hold_together(
    shop: Venue, asked: list[Hold], now: datetime, combiner: HoldCombiner
) -> list[Answer]:
    """Each hold by its own request (unit of work), all asked for in one turn of the event
    loop: one batch. Answers in the order asked."""
    async with AsyncExitStack() as stack:
        uows = [
            await stack.enter_async_context(
                UnitOfWork(shop.engine, autocommit=True, holds=combiner)
            )
            for _ in asked
        ]
        sent_before = _batches_sent()
        attempts = await asyncio.gather(
            *(
                _pick(COMBINING, uow).hold(fan, SCHEDULE, numbers, now + HOLD, now, MAX_HELD)
                for uow, (fan, numbers) in zip(uows, asked, strict=True)
            )
        )
        assert _batches_sent() == sent_before + 1
        for uow, attempt in zip(uows, attempts, strict=True):
            if attempt.outcome is HoldOutcome.HELD:
                await uow.commit()
    return [_answer(attempt) for attempt in attempts]


async def _play(adapter: str, script: list[tuple[str, int, list[Hold]]]) -> None:
    # PostgreSQL's one-by-one adapter sends each hold alone (no combiner).
    combiner = HoldCombiner(most=8) if adapter == COMBINING else None
    async with venue(ADAPTERS[adapter][0]) as shop:
        model, now = SeatsModel.empty(), T0
        for call, arg, asked in script:
            if call == "wait":
                now += timedelta(seconds=arg)
                continue
            # Together: as if one by one in the fans' order (sorted is stable: then as asked).
            order = sorted(range(len(asked)), key=lambda place: asked[place][0])
            if combiner is not None and len(asked) > 1:
                answers = await _hold_together(shop, asked, now, combiner)
                answered = [answers[place] for place in order]
            else:
                answered = [await _hold(shop, adapter, *asked[place], now) for place in order]
            in_order = [asked[place] for place in order]
            for (fan, numbers), answer in zip(in_order, answered, strict=True):
                _check(model, now, fan, numbers, answer)
            assert await shop.seats() == model.expected_seat_rows()
            assert all(count == 1 for count in (await shop.live_claims_per_seat(now)).values())


def _check(model: SeatsModel, now: datetime, fan: int, numbers: list[int], answer: Answer) -> None:
    """`answer` is the model's for this hold; the model takes the hold if it was HELD."""
    outcome, reservation_id, already, seats = answer
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


@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_every_adapter_holds_as_the_rules_say(adapter: str) -> None:
    prepare(ADAPTERS[adapter][0])

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scripts)
    def holds_as_the_model(script: list[tuple[str, int, list[Hold]]]) -> None:
        asyncio.run(_play(adapter, script))

    holds_as_the_model()
