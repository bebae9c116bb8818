"""Every `PaymentSettler` adapter pays by the same rules, checked against one model.

Hypothesis plays random sequences of holds, wallet charges and payments (with and without an
Idempotency-Key, now and then from a clock running behind) by three fans on a small date,
against each adapter: the steps on SQLite, the function `bx_settle` on PostgreSQL (each payment
alone, and payments asked for together combined into one statement by a `SettleCombiner`), and
the steps on PostgreSQL inside a transaction. Every answer must be the model's, so the adapters
answer alike; after every request the balances are the model's and the sums of their ledgers,
never negative, and no seat belongs to two live reservations. A refused payment is rolled back
by its caller, as the service does.

Payments asked for together (at the same instant, each by its own request) are answered as if
sent one by one in the order of (fan, reservation): the combiner sends them as one batch in
that order (a fan's second and later payments each in a batch after it), the other adapters get
them one by one in it.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from boxoffice.payments.domain import Payment, PaymentStatus, SettleOutcome
from boxoffice.payments.schemas import PaymentOut
from boxoffice.payments.settling import PaymentSettler, Settlement, Sold
from boxoffice.payments.settling_postgres import PostgresPaymentSettler, SettleCombiner
from boxoffice.payments.settling_steps import SteppedPaymentSettler
from boxoffice.platform.http import stored_json
from boxoffice.platform.idempotency import Idempotency, StoredResponse, request_fingerprint
from boxoffice.reservations.domain import HoldOutcome
from boxoffice.unit_of_work import UnitOfWork
from boxoffice.wallet.domain import EntryKind
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

MAX_BALANCE = 400_000
CHARGES = [30_000, 100_000, 250_000]
WAITS = [60, 299, 300, 301]
SKEWS = [0, 0, 0, 200, 400]  # seconds a paying instance's clock runs behind
KEYS = [None, "k1", "k2"]
MISSING_RESERVATION = 999


def _answer(payment: Payment) -> StoredResponse:
    return stored_json(201, PaymentOut.of(payment))


def _own(uow: UnitOfWork) -> PaymentSettler:
    return uow.settler


def _steps(uow: UnitOfWork) -> PaymentSettler:
    return SteppedPaymentSettler(uow.reservations, uow.wallets, uow.payments, uow.idempotency)


# (engine, adapter, its type, whether the adapter needs no transaction of its own)
ADAPTERS: dict[str, tuple[str, Callable[[UnitOfWork], PaymentSettler], type, bool]] = {
    "steps-on-sqlite": ("sqlite", _own, SteppedPaymentSettler, False),
    "function-on-postgresql": ("postgresql", _own, PostgresPaymentSettler, True),
    "batches-on-postgresql": ("postgresql", _own, PostgresPaymentSettler, True),
    "steps-on-postgresql": ("postgresql", _steps, SteppedPaymentSettler, False),
}
COMBINING = "batches-on-postgresql"

fan = st.sampled_from(FANS)
paying = st.tuples(fan, st.integers(0, 9), st.sampled_from(KEYS), st.sampled_from(SKEWS))
steps = st.one_of(
    st.tuples(st.just("hold"), fan, st.lists(st.sampled_from(list(PRICES)), min_size=1,
              max_size=2, unique=True).map(sorted)),
    st.tuples(st.just("charge"), fan, st.sampled_from(CHARGES)),
    st.tuples(st.just("pay"), fan, st.tuples(st.integers(0, 9), st.sampled_from(KEYS),
              st.sampled_from(SKEWS))),
    st.tuples(st.just("pay"), fan, st.tuples(st.integers(0, 9), st.sampled_from(KEYS),
              st.sampled_from(SKEWS))),
    st.tuples(st.just("wait"), fan, st.sampled_from(WAITS)),
    st.tuples(st.just("together"), st.just(0), st.lists(paying, min_size=2, max_size=4)),
)  # fmt: skip
scripts = st.lists(steps, min_size=1, max_size=30)

# Cases too rare to count on drawing, played first on every adapter.
A_SEAT_RETAKEN_BEHIND_A_SLOW_CLOCK = [
    ("hold", 1, [1]), ("wait", 1, 301), ("hold", 2, [1]), ("pay", 1, (0, None, 200)),
]  # fmt: skip
# Two tabs pay one hold with one key at the same instant: the second replays the first.
A_RETRY_IN_THE_SAME_BATCH = [
    ("charge", 1, 250_000), ("hold", 1, [1]),
    ("together", 0, [(1, 0, "k1", 0), (1, 0, "k1", 0), (2, 0, None, 0)]),
]  # fmt: skip
# Two holds paid at once from a balance that covers either but not both: the first in order
# (the lower reservation id) is paid, the other is short of money.
A_BALANCE_FOR_ONE_OF_TWO = [
    ("charge", 1, 100_000), ("hold", 1, [3]), ("hold", 1, [1]),
    ("together", 0, [(1, 1, None, 0), (1, 0, None, 0)]),
]  # fmt: skip
A_KEY_FOR_EVERY_ANSWER = [
    ("hold", 1, [6]), ("pay", 1, (0, "k1", 0)), ("pay", 1, (0, "k1", 0)),
    ("hold", 2, [1]), ("pay", 1, (1, "k1", 0)), ("hold", 1, [5]), ("pay", 1, (2, "k2", 0)),
    ("charge", 1, 250_000), ("pay", 1, (2, "k2", 0)), ("pay", 1, (2, "k2", 0)),
    ("pay", 2, (2, None, 0)), ("pay", 2, (1, "k1", 0)),
]  # fmt: skip


class Model(SeatsModel):
    balances: dict[int, int]
    keys: dict[tuple[int, str], tuple[str, bytes]]  # (fan, key) -> (fingerprint, first answer)

    def expect_payment(
        self, fan: int, booking: Booking | None, key: str | None, fingerprint: str, at: datetime
    ) -> SettleOutcome:
        if key is not None and (fan, key) in self.keys:
            stored, _ = self.keys[(fan, key)]
            return SettleOutcome.REPLAY if stored == fingerprint else SettleOutcome.KEY_REUSED
        if booking is None or booking.fan != fan or booking.confirmed or booking.held_until <= at:
            return SettleOutcome.NOT_PAYABLE
        if not self.still_owns_its_seats(booking):
            return SettleOutcome.SEATS_GONE
        if booking.amount > self.balances[fan]:
            return SettleOutcome.INSUFFICIENT
        return SettleOutcome.PAID


def _batches_sent() -> float:
    return (
        REGISTRY.get_sample_value("boxoffice_batch_size_count", {"statement": "bx_settle"}) or 0.0
    )


class Play:
    def __init__(self, shop: Venue, adapter: str) -> None:
        self.shop, self.adapter, self.now = shop, adapter, T0
        self.model = Model([], {})
        self.model.balances, self.model.keys = dict.fromkeys(FANS, 0), {}
        # PostgreSQL's one-by-one adapter sends each payment alone (no combiner).
        self.combiner = SettleCombiner(most=8) if adapter == COMBINING else None

    async def hold(self, fan: int, numbers: list[int]) -> None:
        async with self.shop.uow() as uow:
            attempt = await uow.seat_holder.hold(
                fan, SCHEDULE, numbers, self.now + HOLD, self.now, len(PRICES)
            )
            if attempt.outcome is HoldOutcome.HELD:
                await uow.commit()
        if all(self.model.is_free(n, self.now) for n in numbers):
            assert attempt.reservation_id is not None
            self.model.take(Booking(attempt.reservation_id, fan, tuple(numbers), self.now + HOLD))
        else:
            assert attempt.outcome is HoldOutcome.SHORT

    async def charge(self, fan: int, amount: int) -> None:
        async with self.shop.uow() as uow:
            balance = await uow.wallets.credit(fan, amount, MAX_BALANCE, self.now)
            if balance is not None:
                await uow.wallets.record(fan, EntryKind.CHARGE, amount, balance, self.now)
                await uow.commit()
        if self.model.balances[fan] + amount <= MAX_BALANCE:
            self.model.balances[fan] += amount
            assert balance == self.model.balances[fan]
        else:
            assert balance is None

    def _payment(
        self, fan: int, pick: int, key: str | None, skew: int
    ) -> tuple[int, Booking | None, int, str | None, str, datetime]:
        bookings = self.model.bookings
        booking = bookings[pick % len(bookings)] if bookings else None
        reservation_id = MISSING_RESERVATION if booking is None else booking.id
        fingerprint = request_fingerprint("POST", "/payments", {"reservation_id": reservation_id})
        return fan, booking, reservation_id, key, fingerprint, self.now - timedelta(seconds=skew)

    async def pay(self, fan: int, pick: int, key: str | None, skew: int) -> None:
        fan, booking, reservation_id, key, fingerprint, at = self._payment(fan, pick, key, skew)
        settled = await self._settle(fan, reservation_id, at, Idempotency(key, fingerprint))
        self._check(fan, booking, key, fingerprint, at, settled)

    async def pay_together(self, asked: list[tuple[int, int, str | None, int]]) -> None:
        """Each payment by its own request; as if one by one in (fan, reservation) order."""
        payments = [self._payment(*one) for one in asked]
        order = sorted(range(len(payments)), key=lambda i: (payments[i][0], payments[i][2]))
        if self.combiner is None:
            settled = {
                i: await self._settle(
                    payments[i][0],
                    payments[i][2],
                    payments[i][5],
                    Idempotency(payments[i][3], payments[i][4]),
                )
                for i in order
            }
        else:
            settled = dict(enumerate(await self._settle_together(payments, self.combiner)))
        for i in order:
            fan, booking, _, key, fingerprint, at = payments[i]
            self._check(fan, booking, key, fingerprint, at, settled[i])

    async def _settle_together(
        self,
        payments: list[tuple[int, Booking | None, int, str | None, str, datetime]],
        combiner: SettleCombiner,
    ) -> list[Settlement]:
        """All asked for in one turn of the event loop: one batch, and one more for each
        further payment of one fan (a batch takes one of a fan's, platform/batching.py)."""
        async with AsyncExitStack() as stack:
            uows = [
                await stack.enter_async_context(
                    UnitOfWork(self.shop.engine, autocommit=True, payments=combiner)
                )
                for _ in payments
            ]
            sent_before = _batches_sent()
            settled = await asyncio.gather(
                *(
                    uow.settler.settle(fan, reservation_id, at, Idempotency(key, print_), _answer)
                    for uow, (fan, _, reservation_id, key, print_, at) in zip(
                        uows, payments, strict=True
                    )
                )
            )
            most_of_a_fan = max(Counter(fan for fan, *_ in payments).values())
            assert _batches_sent() == sent_before + most_of_a_fan
            for uow, one in zip(uows, settled, strict=True):
                if one.outcome is SettleOutcome.PAID:
                    await uow.commit()
        return list(settled)

    def _check(
        self,
        fan: int,
        booking: Booking | None,
        key: str | None,
        fingerprint: str,
        at: datetime,
        settled: Settlement,
    ) -> None:
        """`settled` is the model's answer; the model takes the payment if PAID."""
        expected = self.model.expect_payment(fan, booking, key, fingerprint, at)
        assert settled.outcome is expected
        if expected is SettleOutcome.REPLAY:
            assert key is not None
            assert settled.answer is not None
            assert settled.answer.body == self.model.keys[(fan, key)][1]
            assert settled.sold is None  # nothing sold now
        elif expected is SettleOutcome.PAID:
            assert booking is not None
            self._paid(fan, booking, key, fingerprint, at, settled)
        else:
            assert settled.answer is None
            assert settled.sold is None
        if expected in (SettleOutcome.INSUFFICIENT, SettleOutcome.SEATS_GONE):
            assert booking is not None
            assert settled.amount == booking.amount

    async def _settle(
        self, fan: int, reservation_id: int, at: datetime, idempotency: Idempotency
    ) -> Settlement:
        _, pick, kind, autocommit = ADAPTERS[self.adapter]
        async with self.shop.uow(autocommit=autocommit) as uow:
            settler = pick(uow)
            assert isinstance(settler, kind)
            settled = await settler.settle(fan, reservation_id, at, idempotency, _answer)
            if settled.outcome is SettleOutcome.PAID:
                await uow.commit()
        return settled

    def _paid(
        self,
        fan: int,
        booking: Booking,
        key: str | None,
        fingerprint: str,
        at: datetime,
        settled: Settlement,
    ) -> None:
        assert settled.amount == booking.amount
        assert settled.payment_id is not None
        assert settled.answer is not None
        assert settled.answer.status_code == 201
        # The answer is the API's, byte for byte, whoever rendered it.
        payment = Payment(settled.payment_id, booking.id, booking.amount, PaymentStatus.PAID, at)
        assert settled.answer.body == _answer(payment).body
        assert json.loads(settled.answer.body)["amount"] == booking.amount
        # The seats it sold, as the seat maps of the process show them at once.
        assert settled.sold == Sold(SCHEDULE, tuple(sorted(booking.numbers)), booking.amount)
        booking.confirmed = True
        self.model.balances[fan] -= booking.amount
        if key is not None:
            self.model.keys[(fan, key)] = (fingerprint, settled.answer.body)

    async def check_invariants(self) -> None:
        shop = self.shop
        balances = await shop.balances()
        assert balances == self.model.balances
        assert balances == await shop.ledger_sums()
        assert all(balance >= 0 for balance in balances.values())
        assert await shop.seats() == self.model.expected_seat_rows()
        assert all(count == 1 for count in (await shop.live_claims_per_seat(self.now)).values())
        statuses = await shop.reservation_statuses()
        for booking in self.model.bookings:
            assert statuses[booking.id] == ("CONFIRMED" if booking.confirmed else "HELD")


async def _play(adapter: str, script: list[tuple[str, int, object]]) -> None:
    async with venue(ADAPTERS[adapter][0]) as shop:
        play = Play(shop, adapter)
        for call, fan_id, arg in script:
            if call == "wait":
                assert isinstance(arg, int)
                play.now += timedelta(seconds=arg)
            elif call == "hold":
                assert isinstance(arg, list)
                await play.hold(fan_id, arg)
            elif call == "charge":
                assert isinstance(arg, int)
                await play.charge(fan_id, arg)
            elif call == "together":
                assert isinstance(arg, list)
                await play.pay_together(arg)
            else:
                assert isinstance(arg, tuple)
                await play.pay(fan_id, *arg)
            await play.check_invariants()


@pytest.mark.parametrize("adapter", list(ADAPTERS))
def test_every_adapter_pays_as_the_rules_say(adapter: str) -> None:
    prepare(ADAPTERS[adapter][0])

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scripts)
    @example(A_SEAT_RETAKEN_BEHIND_A_SLOW_CLOCK)
    @example(A_KEY_FOR_EVERY_ANSWER)
    @example(A_RETRY_IN_THE_SAME_BATCH)
    @example(A_BALANCE_FOR_ONE_OF_TWO)
    def pays_as_the_model(script: list[tuple[str, int, object]]) -> None:
        asyncio.run(_play(adapter, script))

    pays_as_the_model()
