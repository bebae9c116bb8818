"""Holds asked for together on PostgreSQL go as one statement (`HoldCombiner`): what happens to
a batch when one of its holds cannot be written, and when a request in it is cancelled.

The answers a batch gives are the contract suite's (tests/contract/test_seat_holder.py); here,
the batch's own duties: a hold that fails one batch is sent again alone and fails alone; a
request cancelled before its batch is sent holds nothing and leaves the combiner working; a
request whose connection runs the batch does not give that connection back before the batch
is done, even when answered or cancelled before, and the other requests of a batch take no
connection at all; a hold made inside a transaction is not batched (it must commit or roll back
with that transaction).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event, text

from boxoffice.platform.errors import AccountGone
from boxoffice.reservations.domain import HoldOutcome
from boxoffice.reservations.holding import HoldAttempt
from boxoffice.reservations.holding_postgres import HoldCombiner
from boxoffice.unit_of_work import UnitOfWork
from tests.contract.money import HOLD, SCHEDULE, T0, Venue, prepare, venue

MAX_HELD = 4


@pytest.fixture(autouse=True)
def _postgres() -> None:
    prepare("postgresql")


def _batches_sent() -> float:
    return REGISTRY.get_sample_value("boxoffice_batch_size_count", {"statement": "bx_hold"}) or 0.0


async def _hold(shop: Venue, combiner: HoldCombiner, fan: int, seat: int) -> HoldAttempt:
    """One request's hold: its own unit of work, as the route runs it."""
    async with UnitOfWork(shop.engine, autocommit=True, holds=combiner) as uow:
        attempt = await uow.seat_holder.hold(fan, SCHEDULE, [seat], T0 + HOLD, T0, MAX_HELD)
        await uow.commit()
    return attempt


@asynccontextmanager
async def _fan_locked(shop: Venue, fan: int) -> AsyncIterator[None]:
    """Another transaction holds the fan's row: a batch holding for that fan waits there."""
    async with shop.engine.connect() as connection:
        await connection.execute(
            text("SELECT 1 FROM user_account WHERE id = :fan FOR UPDATE"), {"fan": fan}
        )
        yield
        await connection.rollback()


async def _held_seats(shop: Venue) -> dict[int, int]:
    """Seat number -> the fan holding it."""
    async with shop.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT s.number, r.user_id FROM seat s JOIN reservation r "
                "ON r.id = s.reservation_id WHERE s.status = 'HELD'"
            )
        )
        return {int(number): int(fan) for number, fan in rows}


async def _until(condition: object, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


def test_a_hold_that_fails_its_batch_is_sent_again_alone_and_fails_alone() -> None:
    async def scenario() -> None:
        async with venue("postgresql") as shop:
            combiner = HoldCombiner()
            sent_before = _batches_sent()
            async with AsyncExitStack() as stack:
                uows = [
                    await stack.enter_async_context(
                        UnitOfWork(shop.engine, autocommit=True, holds=combiner)
                    )
                    for _ in range(3)
                ]
                # Fan 999 has no account: the batch's insert fails for all three.
                answers = await asyncio.gather(
                    *(
                        uow.seat_holder.hold(fan, SCHEDULE, [seat], T0 + HOLD, T0, MAX_HELD)
                        for uow, (fan, seat) in zip(uows, [(1, 1), (999, 2), (2, 3)], strict=True)
                    ),
                    return_exceptions=True,
                )
            first, gone, second = answers
            assert isinstance(first, HoldAttempt)
            assert first.outcome is HoldOutcome.HELD
            assert isinstance(second, HoldAttempt)
            assert second.outcome is HoldOutcome.HELD
            assert not isinstance(gone, HoldAttempt)
            # One batch of three, then each alone.
            assert _batches_sent() == sent_before + 4
            assert await _held_seats(shop) == {1: 1, 3: 2}
            # Through the unit of work the failure is the API's: the account is gone.
            with pytest.raises(AccountGone):
                await _hold(shop, combiner, 999, 4)

    asyncio.run(scenario())


def test_only_the_request_that_runs_a_batch_checks_a_connection_out() -> None:
    async def scenario() -> None:
        async with venue("postgresql") as shop:
            combiner = HoldCombiner()
            checkouts: list[object] = []

            def checked_out(*_: object) -> None:
                checkouts.append(_)

            sent_before = _batches_sent()
            event.listen(shop.engine.sync_engine, "checkout", checked_out)
            try:
                answers = await asyncio.gather(
                    *(_hold(shop, combiner, seat % 3 + 1, seat) for seat in range(1, 7))
                )
            finally:
                event.remove(shop.engine.sync_engine, "checkout", checked_out)
            assert [answer.outcome for answer in answers] == [HoldOutcome.HELD] * 6
            assert _batches_sent() == sent_before + 1
            assert len(checkouts) == 1
            assert await _held_seats(shop) == {seat: seat % 3 + 1 for seat in range(1, 7)}

    asyncio.run(scenario())


def test_requests_that_read_first_hold_alone_and_never_wait_for_a_batch_holding_the_pool() -> None:
    # Fans 2 and 3 read before holding, so each has a connection in hand, and they are the
    # pool's two; fan 1 does not, and leads any batch with them (fans in id order). Had the
    # readers waited in that batch, it would wait for a connection they hold: stuck until the
    # pool's timeout.
    async def scenario() -> None:
        async with venue("postgresql", db_pool_size=2, request_deadline_seconds=2) as shop:
            combiner = HoldCombiner()
            both_read = asyncio.Barrier(3)

            async def hold(fan: int, reads_first: bool) -> HoldAttempt:
                async with UnitOfWork(shop.engine, autocommit=True, holds=combiner) as uow:
                    if reads_first:
                        assert await uow.catalog.schedule_starts_at(SCHEDULE) is not None
                    await both_read.wait()
                    attempt = await uow.seat_holder.hold(
                        fan, SCHEDULE, [fan], T0 + HOLD, T0, MAX_HELD
                    )
                    await uow.commit()
                return attempt

            answers = await asyncio.wait_for(
                asyncio.gather(hold(1, False), hold(2, True), hold(3, True)), 10
            )
            assert [answer.outcome for answer in answers] == [HoldOutcome.HELD] * 3
            assert await _held_seats(shop) == {1: 1, 2: 2, 3: 3}

    asyncio.run(scenario())


# Each batch fails on the account that is gone (fan 0 or 999), so every hold is sent again alone,
# the first request's first: whether its own call then succeeds (fan 1) or fails (fan 0).
LEADERS = {
    "its own call held": (
        [(1, 1), (999, 2), (2, 3)],
        ["HoldAttempt", "IntegrityError", "HoldAttempt"],
        {1: 1, 3: 2},
    ),
    "its own call failed": (
        [(0, 1), (1, 2), (2, 3)],
        ["IntegrityError", "HoldAttempt", "HoldAttempt"],
        {2: 1, 3: 2},
    ),
}


@pytest.mark.parametrize("case", LEADERS)
def test_the_request_that_runs_a_batch_keeps_its_connection_until_the_batch_is_done(
    case: str,
) -> None:
    holds, outcomes, held = LEADERS[case]

    async def scenario() -> None:
        async with venue("postgresql") as shop:
            combiner = HoldCombiner()
            uows = [UnitOfWork(shop.engine, autocommit=True, holds=combiner) for _ in range(3)]
            for uow in uows:
                await uow.__aenter__()

            async def hold_and_leave(uow: UnitOfWork, fan: int, seat: int) -> HoldAttempt:
                """A request that ends (its connection back to the pool) once answered."""
                try:
                    return await uow.seat_holder.hold(
                        fan, SCHEDULE, [seat], T0 + HOLD, T0, MAX_HELD
                    )
                finally:
                    await uow.__aexit__(None, None, None)

            # The lowest fan leads; answered or failed, its request must not end while the others
            # are still sent on its connection.
            answers = await asyncio.gather(
                *(
                    hold_and_leave(uow, fan, seat)
                    for uow, (fan, seat) in zip(uows, holds, strict=True)
                ),
                return_exceptions=True,
            )
            assert [type(answer).__name__ for answer in answers] == outcomes
            assert await _held_seats(shop) == held
            assert shop.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]

    asyncio.run(scenario())


def test_a_request_cancelled_before_its_batch_is_sent_holds_nothing() -> None:
    async def scenario() -> None:
        async with venue("postgresql") as shop:
            combiner = HoldCombiner(batches_at_once=1)
            async with _fan_locked(shop, 1):
                running = asyncio.create_task(_hold(shop, combiner, 1, 1))
                await _until(lambda: combiner.running == 1)
                waiting = asyncio.create_task(_hold(shop, combiner, 2, 2))
                await _until(lambda: combiner.waiting == 1)
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting
                assert combiner.waiting == 0
            assert (await running).outcome is HoldOutcome.HELD
            assert await _held_seats(shop) == {1: 1}
            # The combiner goes on: the next hold is sent.
            assert (await _hold(shop, combiner, 2, 2)).outcome is HoldOutcome.HELD
            assert await _held_seats(shop) == {1: 1, 2: 2}

    asyncio.run(scenario())


def test_a_cancelled_request_whose_connection_runs_the_batch_waits_for_it() -> None:
    async def scenario() -> None:
        async with venue("postgresql") as shop:
            combiner = HoldCombiner()
            async with AsyncExitStack() as stack:
                first, second = [
                    await stack.enter_async_context(
                        UnitOfWork(shop.engine, autocommit=True, holds=combiner)
                    )
                    for _ in range(2)
                ]
                async with _fan_locked(shop, 3):
                    # One batch, fans in id order: fan 1's request leads, and the batch waits
                    # at fan 3's row.
                    leader = asyncio.create_task(
                        first.seat_holder.hold(1, SCHEDULE, [1], T0 + HOLD, T0, MAX_HELD)
                    )
                    follower = asyncio.create_task(
                        second.seat_holder.hold(3, SCHEDULE, [3], T0 + HOLD, T0, MAX_HELD)
                    )
                    await _until(lambda: combiner.running == 1 and combiner.waiting == 0)
                    await asyncio.sleep(0.1)
                    leader.cancel()
                    await asyncio.sleep(0.3)
                    # Its connection still runs the batch: the request has not let it go.
                    assert not leader.done()
                    assert not follower.done()
                with pytest.raises(asyncio.CancelledError):
                    await leader
                assert (await follower).outcome is HoldOutcome.HELD
            # The leader's hold went through with the batch: it shows, and will run out.
            assert await _held_seats(shop) == {1: 1, 3: 3}
            assert shop.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]

    asyncio.run(scenario())


def test_a_hold_inside_a_transaction_stays_in_that_transaction() -> None:
    async def scenario() -> None:
        async with venue("postgresql") as shop:
            combiner = HoldCombiner()
            sent_before = _batches_sent()
            async with UnitOfWork(shop.engine, holds=combiner) as uow:
                attempt = await uow.seat_holder.hold(1, SCHEDULE, [1], T0 + HOLD, T0, MAX_HELD)
                assert attempt.outcome is HoldOutcome.HELD
                # Not committed: the hold goes with the unit of work's transaction.
            assert _batches_sent() == sent_before
            assert await _held_seats(shop) == {}

    asyncio.run(scenario())
