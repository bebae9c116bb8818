"""`boxoffice audit` fails on each violation it exists to find, and names the check that found it.

Many race and fault tests take a clean audit as their proof; these show the audit can say no.
Each case builds one clean sale through the API, shows that the audit passes on it, plants one
violation with plain SQL (or in the waiting room's own Redis keys), and runs the real command,
`python -m boxoffice audit`, against the same database and room. It must exit 1, its FAIL line
must name the check that looks for this violation, and every other check must still say ok: the
plant is caught by the right check, not by accident. Where one bad fact needs two rows (a sale
with no money, say), the plant writes both, so that it breaks one invariant and nothing else.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import pytest
from redis import asyncio as redis_asyncio
from sqlalchemy import text

from boxoffice.audit import (
    DATABASE_CHECKS,
    AuditReport,
    audit_database,
    audit_lines,
    audit_store,
    run_audit,
)
from boxoffice.background import sweep_once
from boxoffice.bootstrap import Container
from boxoffice.settings import Settings
from boxoffice.waiting_room.store import WaitingRoomStore
from boxoffice.waiting_room.store_memory import MemoryWaitingRoomStore
from boxoffice.waiting_room.store_redis import RedisWaitingRoomStore
from tests.conftest import ADMIN_KEY, API, SECRET_KEY, TEST_SETTINGS, Shop

# The checks by name, as the command prints them.
SEAT_TWICE = "1. a seat is in at most one live reservation"
SEAT_OWNER = (
    "1. a held seat points at a HELD reservation naming it, held as long; a sold seat at a"
    " CONFIRMED one"
)
HOLD_KEPT = "1. a HELD reservation's seats are its own until it lapses and another hold takes them"
SEAT_NAMED = "1. a reservation names each seat by the seat's own date, number and price"
SEATS_SOLD = "2. every confirmed reservation owns all its seats, SOLD"
PAID_ONCE = "2. every confirmed reservation has exactly one PAID payment of the seats' total"
PAID_CONFIRMED = "2. a PAID payment belongs to a confirmed reservation"
REFUNDED_CANCELLED = "2. a REFUNDED payment belongs to a cancelled reservation"
PAYER = "2. a payment is made by the fan whose reservation it pays"
BALANCE = "3. a balance equals the sum of its ledger, within 0 and the cap"
LEDGER_STEPS = (
    "3. each ledger entry's balance_after is its fan's ledger summed up to it, never below 0"
)
MOVES_ONCE = "4. money moves at most once per reservation (one payment debit, one refund)"
ONE_DEBIT = "4. every payment has its one debit"
ONE_REFUND = "4. every refunded payment has its one refund"
UNANSWERED_KEY = "4. every idempotency record holds the answer to repeat"
DEBIT_PAID = (
    "4. every debit and refund matches its reservation's payment in fan and amount, a refund"
    " a REFUNDED one"
)
ACTIVE_CAP = "6. no more active passes than the policy's max_active"
PRICE = 10_000
BUYERS_CHARGE = "charge-buyer"  # the Idempotency-Key of the buyer's charge


@dataclass(frozen=True)
class Sale:
    """A clean state made through the API, and the ids a plant needs (its SQL parameters).

    paid: fan `buyer` charged the wallet (key BUYERS_CHARGE) and bought seats 1 and 2;
    refunded: fan `refunder` bought seat 3 and cancelled; held: fan `holder` holds seat 4;
    expired: a hold of seat 5 lapsed and was swept. Seat 6 is free. `holder` and `idler` hold
    active passes. Seat ids are `seat1`..`seat6`.
    """

    ids: dict[str, int]


async def _clean_sale(shop: Shop, settings: Settings) -> Sale:
    date = await shop.date_on_sale(seat_count=6, price=PRICE)
    lapser = await shop.admitted_fan()
    expired = await shop.hold(lapser, date["id"], [5])
    # Everything after this runs on the advanced clock; the command's real clock is behind it,
    # so the holds made below are live for it too.
    shop.clock.advance(settings.hold_seconds + 1)
    assert await sweep_once(shop.container) == 1

    buyer = await shop.admitted_fan()
    await shop.charge(buyer, 100_000, key=BUYERS_CHARGE)
    paid = await shop.hold(buyer, date["id"], [1, 2])
    await shop.pay(buyer, paid["id"])

    refunder = await shop.admitted_fan()
    await shop.charge(refunder, 100_000)
    refunded = await shop.hold(refunder, date["id"], [3])
    await shop.pay(refunder, refunded["id"])
    cancelled = await shop.cancel(refunder, refunded["id"])
    assert cancelled.status_code == 200, cancelled.text

    holder = await shop.admitted_fan()
    await shop.charge(holder, 50_000)
    held = await shop.hold(holder, date["id"], [4])
    idler = await shop.admitted_fan()

    async with shop.container.engine.connect() as db:
        seats = await db.execute(
            text("SELECT number, id FROM seat WHERE schedule_id = :date"), {"date": date["id"]}
        )
        ids = {f"seat{number}": int(seat_id) for number, seat_id in seats}
    ids |= {
        "paid": paid["id"],
        "refunded": refunded["id"],
        "held": held["id"],
        "expired": expired["id"],
        "buyer": buyer.id,
        "refunder": refunder.id,
        "holder": holder.id,
        "idler": idler.id,
        "cap": settings.wallet_max_balance,
        "price": PRICE,
    }
    return Sale(ids)


@pytest.fixture
async def sale(shop: Shop, settings: Settings) -> Sale:
    """The clean sale; the audit (the function the command runs) passes on it."""
    made = await _clean_sale(shop, settings)
    report = await run_audit(settings)
    assert report.ok, report.lines()
    assert len(report.checked) == len(DATABASE_CHECKS) + (1 if settings.redis_url else 0)
    return made


def _audit_env(settings: Settings) -> dict[str, str]:
    """The command's environment: the test's settings, database and room, nothing of the shell's
    BOXOFFICE_* (PYTHONPATH stays, so a private copy of the code is the one that runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env |= {f"BOXOFFICE_{name.upper()}": str(value) for name, value in TEST_SETTINGS.items()}
    env |= {
        "BOXOFFICE_DATABASE_URL": settings.effective_database_url,
        "BOXOFFICE_DATA_DIR": str(settings.data_dir),
        "BOXOFFICE_QUEUE_ROOM": settings.queue_room,
        "BOXOFFICE_SECRET_KEY": SECRET_KEY,
        "BOXOFFICE_ADMIN_KEY": ADMIN_KEY,
    }
    if settings.redis_url:
        env["BOXOFFICE_REDIS_URL"] = settings.redis_url
    return env


@dataclass(frozen=True)
class AuditRun:
    returncode: int
    lines: list[str]

    def ok(self) -> set[str]:
        return {line.removeprefix("ok    ") for line in self.lines if line.startswith("ok    ")}

    def failed(self, names: set[str]) -> set[str]:
        """Which of `names` a FAIL line names."""
        return {n for n in names for line in self.lines if line.startswith(f"FAIL  {n}: ")}


async def _run_audit_command(settings: Settings) -> AuditRun:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "boxoffice",
        "audit",
        env=_audit_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return AuditRun(process.returncode, output.decode().splitlines())


def _all_checks(settings: Settings) -> set[str]:
    return {name for name, _ in DATABASE_CHECKS} | ({ACTIVE_CAP} if settings.redis_url else set())


async def test_the_command_passes_the_clean_sale(sale: Sale, settings: Settings) -> None:
    run = await _run_audit_command(settings)

    assert run.returncode == 0, run.lines
    assert run.ok() == _all_checks(settings), run.lines
    assert run.lines[-1] == "audit passed"
    if not settings.redis_url:
        assert "note  6. skipped: the in-process waiting room lives inside the server process" in (
            run.lines
        )


async def test_the_command_passes_seats_taken_again_after_a_lapsed_hold_and_free_sales(
    sale: Sale, shop: Shop, settings: Settings
) -> None:
    """Legal states the audit could misread, on top of the clean sale. A hold lapses unswept
    and another fan takes each of its seats: one holds seat 1, one buys seat 2, one holds seat
    3 and cancels (seat 3 is free again, the lapsed hold still HELD). A free seat is sold and
    another free one sold and cancelled (no money moves). The command's clock is behind the
    shop's, so to it the lapsed hold is still live: only the rows' own times tell it lapsed
    before the others took its seats (the audit judged by its clock once, and failed here)."""
    date = await shop.date_on_sale(seat_count=3, price=PRICE)
    free = await shop.date_on_sale(seat_count=2, price=0)
    lapser = await shop.admitted_fan()
    lapsed = await shop.hold(lapser, date["id"], [1, 2, 3])
    shop.clock.advance(settings.hold_seconds)  # held_until is now: the seats are free

    reholder, buyer, canceller = [await shop.admitted_fan() for _ in range(3)]
    await shop.hold(reholder, date["id"], [1])
    await shop.charge(buyer, PRICE)
    await shop.pay(buyer, (await shop.hold(buyer, date["id"], [2]))["id"])
    taken_back = await shop.cancel(canceller, (await shop.hold(canceller, date["id"], [3]))["id"])
    assert taken_back.status_code == 200, taken_back.text
    free_buyer, free_canceller = await shop.admitted_fan(), await shop.admitted_fan()
    await shop.pay(free_buyer, (await shop.hold(free_buyer, free["id"], [1]))["id"])
    free_sale = await shop.hold(free_canceller, free["id"], [2])
    await shop.pay(free_canceller, free_sale["id"])
    free_cancel = await shop.cancel(free_canceller, free_sale["id"])
    assert free_cancel.status_code == 200, free_cancel.text
    assert (await shop.reservation(lapser, lapsed["id"]))["status"] == "EXPIRED"

    run = await _run_audit_command(settings)

    assert run.returncode == 0, run.lines
    assert run.ok() == _all_checks(settings), run.lines
    async with shop.container.engine.connect() as db:
        unswept = "SELECT status FROM reservation WHERE id = :id"
        assert await db.scalar(text(unswept), {"id": lapsed["id"]}) == "HELD"


# --- The plants: one violation each, as plain SQL on the clean sale (parameters: Sale.ids). ---

# A second live reservation names seat 1, which fan `buyer` bought.
SEAT_IN_TWO_RESERVATIONS = (
    "INSERT INTO reservation_seat (reservation_id, seat_id, number, price)"
    " VALUES (:held, :seat1, 1, :price)",
)
# Seat 4 SOLD while its reservation is only HELD: no confirmation, no payment.
SOLD_SEAT_OF_A_HOLD = ("UPDATE seat SET status = 'SOLD', held_until = NULL WHERE id = :seat4",)
# A sweeper or cancel that marked the reservation and forgot its seat.
HELD_SEAT_OF_AN_EXPIRED_HOLD = ("UPDATE reservation SET status = 'EXPIRED' WHERE id = :held",)
HELD_SEAT_OF_A_CANCELLED_HOLD = ("UPDATE reservation SET status = 'CANCELLED' WHERE id = :held",)
# Seat 4 lapses five minutes before the reservation that holds it: it could be sold twice.
HELD_SEAT_LAPSING_EARLY = (
    "UPDATE seat SET held_until = (SELECT created_at FROM reservation WHERE id = :held)"
    " WHERE id = :seat4",
)
# Seat 4 back on sale while the hold that took it still runs.
HELD_SEAT_FREED = (
    "UPDATE seat SET status = 'AVAILABLE', reservation_id = NULL, held_until = NULL"
    " WHERE id = :seat4",
)
# A confirmed reservation whose seat 2 went back on sale.
CONFIRMED_SEAT_FREED = (
    "UPDATE seat SET status = 'AVAILABLE', reservation_id = NULL, held_until = NULL"
    " WHERE id = :seat2",
)
# Seat 4 sold and its reservation confirmed, and no money ever moved.
SALE_WITHOUT_PAYMENT = (
    "UPDATE reservation SET status = 'CONFIRMED' WHERE id = :held",
    "UPDATE seat SET status = 'SOLD', held_until = NULL WHERE id = :seat4",
)
# Seat 1 of the paid reservation costs one more than was paid for it (its ticket says so too).
PAID_LESS_THAN_THE_SEATS = (
    "UPDATE seat SET price = price + 1 WHERE id = :seat1",
    "UPDATE reservation_seat SET price = price + 1 WHERE reservation_id = :paid AND number = 1",
)
# The paid reservation's ticket for seat 2 says seat 6, which is still on sale.
TICKET_NAMES_ANOTHER_SEAT = (
    "UPDATE reservation_seat SET number = 6 WHERE reservation_id = :paid AND seat_id = :seat2",
)
# The hold of seat 4 moved to another date of the concert, whose seat 4 it does not hold.
HOLD_ON_ANOTHER_DATE = (
    "INSERT INTO schedule (concert_id, starts_at, total_seats, created_at)"
    " SELECT concert_id, starts_at, 0, created_at FROM schedule"
    " WHERE id = (SELECT schedule_id FROM reservation WHERE id = :held)",
    "UPDATE reservation SET schedule_id = (SELECT MAX(id) FROM schedule) WHERE id = :held",
)
# Seat 1, sold, now costs more than the ticket that was paid for it.
SOLD_SEAT_REPRICED = ("UPDATE seat SET price = price + 1 WHERE id = :seat1",)
# A cancel that freed the seats and kept the money: the payment still PAID, nothing refunded.
PAID_BOOKING_CANCELLED = (
    "UPDATE reservation SET status = 'CANCELLED' WHERE id = :paid",
    "UPDATE seat SET status = 'AVAILABLE', reservation_id = NULL, held_until = NULL"
    " WHERE reservation_id = :paid",
)
# The cancelled booking, refunded, marked EXPIRED as if its hold had lapsed unpaid.
REFUNDED_BOOKING_EXPIRED = ("UPDATE reservation SET status = 'EXPIRED' WHERE id = :refunded",)
# The paid tickets moved to a fan who paid nothing for them.
TICKETS_OF_ANOTHER_FAN = ("UPDATE reservation SET user_id = :idler WHERE id = :paid",)
BALANCE_OFF_ITS_LEDGER = ("UPDATE wallet SET balance = balance + 1 WHERE user_id = :buyer",)
# The paid reservation's debit says it left one more than it did.
LEDGER_STEP_OFF = (
    "UPDATE wallet_transaction SET balance_after = balance_after + 1"
    " WHERE reservation_id = :paid AND kind = 'PAYMENT'",
)
# Ledger and balance agree, on a balance past the cap.
BALANCE_ABOVE_THE_CAP = (
    "INSERT INTO wallet_transaction (user_id, kind, amount, balance_after, created_at)"
    " SELECT user_id, 'CHARGE', :cap + 1 - balance, :cap + 1, updated_at FROM wallet"
    " WHERE user_id = :idler",
    "UPDATE wallet SET balance = :cap + 1 WHERE user_id = :idler",
)
# Ledger and balance agree, on a negative balance. The schema's CHECK constraints forbid it;
# SQLite can be told to ignore them, as a damaged or hand-edited file might have.
NEGATIVE_BALANCE = (
    "PRAGMA ignore_check_constraints = ON",
    "INSERT INTO wallet_transaction (user_id, kind, amount, balance_after, created_at)"
    " SELECT user_id, 'CHARGE', -1, -1, updated_at FROM wallet WHERE user_id = :idler",
    "UPDATE wallet SET balance = -1 WHERE user_id = :idler",
    "PRAGMA ignore_check_constraints = OFF",
)


def _second_entry(kind: str, reservation: str) -> tuple[str, str]:
    """Plant a second ledger entry like the reservation's `kind` entry, balance following it."""
    return (
        "UPDATE wallet SET balance = balance + (SELECT amount FROM wallet_transaction"
        f" WHERE reservation_id = :{reservation} AND kind = '{kind}')"
        f" WHERE user_id = (SELECT user_id FROM reservation WHERE id = :{reservation})",
        "INSERT INTO wallet_transaction"
        " (user_id, kind, amount, balance_after, reservation_id, created_at)"
        " SELECT user_id, kind, amount, balance_after + amount, reservation_id, created_at"
        f" FROM wallet_transaction WHERE reservation_id = :{reservation} AND kind = '{kind}'",
    )


# The refund of the cancelled booking paid out twice. (The payment table's unique constraint
# forbids a second payment of one reservation, so money moving twice shows in the ledger.)
REFUNDED_TWICE = _second_entry("REFUND", "refunded")
DEBITED_TWICE = _second_entry("PAYMENT", "paid")
# The paid reservation's debit is gone (and the balance is as if it never happened).
PAYMENT_WITHOUT_DEBIT = (
    "UPDATE wallet SET balance = balance + 2 * :price WHERE user_id = :buyer",
    "DELETE FROM wallet_transaction WHERE reservation_id = :paid AND kind = 'PAYMENT'",
)
# The cancelled booking's refund is gone (and the balance is as if it never happened).
REFUND_MISSING = (
    "UPDATE wallet SET balance = balance - :price WHERE user_id ="
    " (SELECT user_id FROM reservation WHERE id = :refunded)",
    "DELETE FROM wallet_transaction WHERE reservation_id = :refunded AND kind = 'REFUND'",
)
# The buyer's charge went through and its key kept no answer: the claim as it was written
# (status 0, an empty body), without its result.
UNANSWERED_CHARGE = (
    "UPDATE idempotency_record SET status_code = 0, response_body = substr(response_body, 1, 0)"
    " WHERE user_id = :buyer",
)
# Money taken for a hold that was never paid.
DEBIT_WITHOUT_PAYMENT = (
    "INSERT INTO wallet_transaction"
    " (user_id, kind, amount, balance_after, reservation_id, created_at)"
    " SELECT user_id, 'PAYMENT', 0 - :price, balance - :price, :held, updated_at FROM wallet"
    " WHERE user_id = :holder",
    "UPDATE wallet SET balance = balance - :price WHERE user_id = :holder",
)
# Money given back for a sale that stands.
REFUND_OF_A_STANDING_SALE = (
    "INSERT INTO wallet_transaction"
    " (user_id, kind, amount, balance_after, reservation_id, created_at)"
    " SELECT user_id, 'REFUND', 2 * :price, balance + 2 * :price, :paid, updated_at FROM wallet"
    " WHERE user_id = :buyer",
    "UPDATE wallet SET balance = balance + 2 * :price WHERE user_id = :buyer",
)


@pytest.mark.parametrize("retried", ["charge", "payment"])
async def test_a_retry_of_a_key_with_no_answer_kept_is_a_problem_and_moves_nothing(
    shop: Shop, container: Container, retried: str
) -> None:
    """The record the audit reports above, met by the fan who retries: every retry of the key
    broke the connection with no answer (a stored status of 0 cannot be sent; review)."""
    fan = await shop.admitted_fan()
    await shop.charge(fan, 2 * PRICE, key=BUYERS_CHARGE)
    date = await shop.date_on_sale(seat_count=1, price=PRICE)
    reservation = (await shop.hold(fan, date["id"], [1]))["id"]
    await shop.pay(fan, reservation, key="pay")
    async with container.engine.begin() as db:
        await db.execute(text(UNANSWERED_CHARGE[0]), {"buyer": fan.id})

    if retried == "charge":
        answer = await shop.post_charge(fan, 2 * PRICE, key=BUYERS_CHARGE)
    else:
        answer = await shop.post_payment(fan, reservation, key="pay")

    assert answer.status_code == 500, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "INTERNAL_ERROR"
    assert "Idempotency-Key" in answer.json()["detail"]
    assert await shop.balance(fan) == PRICE


async def _lower_max_active_in_redis(settings: Settings) -> None:
    """Invariant 6 broken in the room's own Redis keys (store_redis.py, lua/common.lua): the
    policy's max_active below the passes already active, with no admission at all."""
    assert settings.redis_url
    client = redis_asyncio.Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        policy = f"bx:{{{settings.queue_room}}}:policy"
        assert await client.hget(policy, "max_active") == str(TEST_SETTINGS["queue_max_active"])
        await client.hset(policy, "max_active", "1")
    finally:
        await client.aclose()


@dataclass(frozen=True)
class Plant:
    violation: str
    caught_by: frozenset[str]
    statements: tuple[str, ...] = ()
    in_store: Callable[[Settings], Awaitable[None]] | None = None
    sqlite_only: bool = False


def _plant(violation: str, caught_by: str, *statements: str, also: str | None = None) -> Plant:
    names = frozenset({caught_by} if also is None else {caught_by, also})
    return Plant(violation, names, statements)


PLANTS = [
    # The hold names a seat it does not own, and so the seat is in two live reservations.
    _plant("seat in two live reservations", SEAT_TWICE, *SEAT_IN_TWO_RESERVATIONS, also=HOLD_KEPT),
    _plant("seat sold under a hold", SEAT_OWNER, *SOLD_SEAT_OF_A_HOLD),
    _plant("held seat of an expired hold", SEAT_OWNER, *HELD_SEAT_OF_AN_EXPIRED_HOLD),
    _plant("held seat of a cancelled hold", SEAT_OWNER, *HELD_SEAT_OF_A_CANCELLED_HOLD),
    _plant("held seat lapsing before its hold", SEAT_OWNER, *HELD_SEAT_LAPSING_EARLY),
    _plant("held seat back on sale", HOLD_KEPT, *HELD_SEAT_FREED),
    _plant("ticket naming another seat", SEAT_NAMED, *TICKET_NAMES_ANOTHER_SEAT),
    _plant("hold on another date", SEAT_NAMED, *HOLD_ON_ANOTHER_DATE),
    _plant("sold seat repriced", SEAT_NAMED, *SOLD_SEAT_REPRICED),
    _plant("confirmed seat back on sale", SEATS_SOLD, *CONFIRMED_SEAT_FREED),
    _plant("sale without payment", PAID_ONCE, *SALE_WITHOUT_PAYMENT),
    _plant("paid less than the seats", PAID_ONCE, *PAID_LESS_THAN_THE_SEATS),
    _plant("paid, cancelled, not refunded", PAID_CONFIRMED, *PAID_BOOKING_CANCELLED),
    _plant("refunded booking expired", REFUNDED_CANCELLED, *REFUNDED_BOOKING_EXPIRED),
    _plant("tickets of another fan", PAYER, *TICKETS_OF_ANOTHER_FAN),
    _plant("balance off its ledger", BALANCE, *BALANCE_OFF_ITS_LEDGER),
    _plant("ledger entry off its ledger", LEDGER_STEPS, *LEDGER_STEP_OFF),
    # The balance and the ledger entry that took it there.
    _plant("balance above the cap", BALANCE, *BALANCE_ABOVE_THE_CAP),
    replace(
        _plant("negative balance", BALANCE, *NEGATIVE_BALANCE, also=LEDGER_STEPS),
        sqlite_only=True,
    ),
    # Two refunds of one cancel: two for the reservation, and not the payment's one refund.
    _plant("refunded twice", MOVES_ONCE, *REFUNDED_TWICE, also=ONE_REFUND),
    # Two debits of one payment: two for the reservation, and not the payment's one debit.
    _plant("debited twice", MOVES_ONCE, *DEBITED_TWICE, also=ONE_DEBIT),
    _plant("payment without its debit", ONE_DEBIT, *PAYMENT_WITHOUT_DEBIT),
    _plant("cancel without its refund", ONE_REFUND, *REFUND_MISSING),
    _plant("idempotency key without its answer", UNANSWERED_KEY, *UNANSWERED_CHARGE),
    _plant("debit without a payment", DEBIT_PAID, *DEBIT_WITHOUT_PAYMENT),
    _plant("refund of a standing sale", DEBIT_PAID, *REFUND_OF_A_STANDING_SALE),
    Plant(
        "more active passes than allowed",
        frozenset({ACTIVE_CAP}),
        in_store=_lower_max_active_in_redis,
    ),
]


def test_every_check_has_a_plant() -> None:
    """The table covers every check the audit runs, under the names it prints."""
    planted = set().union(*(plant.caught_by for plant in PLANTS))
    assert planted == {name for name, _ in DATABASE_CHECKS} | {ACTIVE_CAP}


@pytest.mark.parametrize("plant", PLANTS, ids=lambda plant: plant.violation)
async def test_the_command_fails_on_a_planted_violation_by_its_check(
    plant: Plant, sale: Sale, settings: Settings, container: Container
) -> None:
    if plant.sqlite_only and not settings.is_sqlite:
        pytest.skip("the schema's CHECK constraints make this row impossible on PostgreSQL")
    if plant.in_store is not None:
        if not settings.redis_url:
            pytest.skip("the command cannot see the in-process room: see the store test below")
        await plant.in_store(settings)
    else:
        async with container.engine.begin() as db:
            for statement in plant.statements:
                await db.execute(text(statement), sale.ids)

    run = await _run_audit_command(settings)

    every_check = _all_checks(settings)
    assert plant.caught_by <= every_check
    assert run.returncode == 1, run.lines
    assert run.failed(every_check) == plant.caught_by, run.lines
    # One bad row each (the store check counts passes against the lowered max_active of 1).
    found = "> 1" if plant.in_store else "1 rows, e.g. ("
    for name in plant.caught_by:
        assert any(line.startswith(f"FAIL  {name}: ") and found in line for line in run.lines)
    assert run.ok() == every_check - plant.caught_by, run.lines
    assert run.lines[-1] == f"audit FAILED: {len(plant.caught_by)}", run.lines


async def _force_max_active(store: WaitingRoomStore, max_active: int) -> None:
    """Invariant 6 broken in the store itself: its policy's max_active written below the passes
    already active without the store's own `set_policy` (which keeps those passes' slots)."""
    if isinstance(store, MemoryWaitingRoomStore):
        store._policy = replace(store._policy, max_active=max_active)
    else:
        assert isinstance(store, RedisWaitingRoomStore)
        await store._client.hset(store._keys[0], "max_active", str(max_active))


async def test_the_store_check_fails_with_more_active_passes_than_allowed(
    shop: Shop, container: Container
) -> None:
    """Invariant 6 on the app's own store, in-process or Redis: the command skips the
    in-process room (it lives in the server), so here the check itself meets the same plant."""
    await shop.admitted_fan()
    await shop.admitted_fan()
    store = container.store
    now = shop.clock.now().timestamp()
    await store.set_policy(replace(await store.get_policy(), max_active=2))
    at_the_cap = AuditReport()
    await audit_store(store, now, at_the_cap)
    assert at_the_cap.checked == [ACTIVE_CAP]
    assert at_the_cap.ok, at_the_cap.lines()

    await _force_max_active(store, 1)
    over = AuditReport()
    await audit_store(store, now, over)

    assert over.violations == [f"{ACTIVE_CAP}: line house: 2 > 1"]


async def test_max_active_lowered_below_the_active_passes_keeps_them_and_the_audit_clean(
    shop: Shop, container: Container
) -> None:
    """An operator lowers max_active during a sale (PUT /admin/queue) while more passes are
    active: they keep their slots until they end, nobody is let in meanwhile, and the audit
    says so in a note instead of failing invariant 6 (it did, until a release in 2026-12)."""
    fans = [await shop.admitted_fan() for _ in range(3)]
    store = container.store
    await shop.set_queue_policy(max_active=1)
    late = await shop.sign_up()
    await shop.join(late)

    assert await shop.admit() == []
    report = AuditReport()
    await audit_store(store, shop.clock.now().timestamp(), report)
    assert report.ok, report.lines()
    assert report.notes == [
        "6. line house: 3 passes active, more than max_active 1: 3 of them were active when"
        " it was lowered and keep their slots until they end; nobody is let in meanwhile"
    ]

    for fan in fans[:2]:
        left = await shop.client.delete(f"{API}/queue/tokens/current", headers=fan.with_pass)
        assert left.status_code == 204, left.text
    stats = await store.stats(shop.clock.now().timestamp())
    assert (stats.active, stats.kept_from_higher_cap) == (1, 1)
    assert await shop.admit() == []  # still no free slot under the new max_active

    left = await shop.client.delete(f"{API}/queue/tokens/current", headers=fans[2].with_pass)
    assert left.status_code == 204, left.text
    assert len(await shop.admit()) == 1
    assert (await shop.queue_status(late))["status"] == "ACTIVE"
    after = AuditReport()
    await audit_store(store, shop.clock.now().timestamp(), after)
    assert after.ok, after.lines()
    assert not after.notes, after.lines()
    # The kept passes are gone: a store that now holds more than max_active breaks invariant 6.
    await _force_max_active(store, 0)
    broken = AuditReport()
    await audit_store(store, shop.clock.now().timestamp(), broken)
    assert broken.violations == [f"{ACTIVE_CAP}: line house: 1 > 0"]


async def test_the_store_check_covers_every_line(shop: Shop, container: Container) -> None:
    concert = (await shop.create_concert("Own line"))["id"]
    await shop.own_line(concert, max_active=5)
    await shop.admitted_fan(line=concert)
    await shop.admitted_fan(line=concert)
    await shop.admitted_fan()
    await _force_max_active(container.waiting_room.stores.of(concert), 1)

    report = AuditReport()
    await audit_lines(container, report)

    assert report.checked == [ACTIVE_CAP]
    assert report.violations == [f"{ACTIVE_CAP}: line {concert}: 2 > 1"]


@pytest.mark.parametrize(
    ("forced", "change", "found"),
    [
        # Every PUT /admin/queue sends max_active again: one that changed only the rate found
        # the room over its cap and kept those passes as if max_active had been lowered.
        (1, {"admit_per_minute": 120}, "3 > 1"),
        # Three passes active under a max_active of 2 broke invariant 6 already: a lowering to
        # 1 keeps two of them at most.
        (2, {"max_active": 1}, "3 > 2"),
    ],
    ids=["a change that keeps max_active", "a lowering past an over-admission"],
)
async def test_a_policy_change_does_not_hide_an_over_admission(
    shop: Shop, container: Container, forced: int, change: dict[str, int], found: str
) -> None:
    """Found by review of the first version of the kept passes."""
    await shop.set_queue_policy(max_active=3)
    for _ in range(3):
        await shop.admitted_fan()
    store = container.store
    await _force_max_active(store, forced)

    await shop.set_queue_policy(**change)

    report = AuditReport()
    await audit_store(store, shop.clock.now().timestamp(), report)
    assert report.violations == [f"{ACTIVE_CAP}: line house: {found}"]


async def test_passes_kept_from_an_earlier_lowering_count_only_while_they_last(
    shop: Shop, container: Container
) -> None:
    """Five kept at a lowering to 1, four of them gone; an over-admission later (4 active under
    a max_active of 2) was hidden by a second lowering, which took the first one's cap of 5
    for passes no longer there (review)."""
    await shop.set_queue_policy(max_active=5)
    kept = [await shop.admitted_fan() for _ in range(5)]
    await shop.set_queue_policy(max_active=1)
    for fan in kept[:4]:
        left = await shop.client.delete(f"{API}/queue/tokens/current", headers=fan.with_pass)
        assert left.status_code == 204, left.text
    await shop.set_queue_policy(max_active=5)
    for _ in range(3):
        await shop.admitted_fan()
    store = container.store
    await _force_max_active(store, 2)

    await shop.set_queue_policy(max_active=1)

    report = AuditReport()
    await audit_store(store, shop.clock.now().timestamp(), report)
    assert report.violations == [f"{ACTIVE_CAP}: line house: 4 > 2"]


async def test_the_live_reservations_of_a_big_sale_are_checked_in_no_time(shop: Shop) -> None:
    """Check 1 paired every live reservation with every other on an embedded database, which
    has no planner statistics: 8 s for 4,000 tickets, hours for a stadium's sale."""
    date = await shop.date_on_sale(seat_count=3_000, price=1_000)
    fan = await shop.admitted_fan()
    first = (await shop.hold(fan, date["id"], [1]))["id"]
    async with shop.container.engine.begin() as connection:
        # A ticket of each other seat, stamped as the real hold (its times in the engine's form).
        await connection.execute(
            text(
                "INSERT INTO reservation"
                " (user_id, schedule_id, amount, status, held_until, created_at, updated_at)"
                " SELECT r.user_id, r.schedule_id, s.id, 'CONFIRMED', r.held_until,"
                " r.created_at, r.updated_at FROM seat s JOIN reservation r"
                " ON r.schedule_id = s.schedule_id WHERE r.id = :first AND s.number > 1"
            ),
            {"first": first},
        )
        await connection.execute(
            text(
                "INSERT INTO reservation_seat (reservation_id, seat_id, number, price)"
                " SELECT r.id, s.id, s.number, s.price FROM reservation r"
                " JOIN seat s ON s.id = r.amount WHERE r.schedule_id = :date AND r.id <> :first"
            ),
            {"date": date["id"], "first": first},
        )
    name, sql = DATABASE_CHECKS[0]
    assert name == SEAT_TWICE

    async with shop.container.engine.connect() as connection:
        started = time.monotonic()
        found = (await connection.execute(text(sql))).all()
        took = time.monotonic() - started

    assert found == []
    assert took < 1.0, took


async def test_a_cap_lowered_since_is_no_violation_of_the_ledgers_past(shop: Shop) -> None:
    """The balance is held to today's cap; the entries of the past were made under theirs (an
    operator may lower WALLET_MAX_BALANCE): held to today's, the audit failed for good."""
    date = await shop.date_on_sale(seat_count=2, price=40_000)
    fan = await shop.admitted_fan()
    await shop.charge(fan, 50_000)
    await shop.pay(fan, (await shop.hold(fan, date["id"], [1]))["id"])
    report = AuditReport()

    async with shop.container.engine.connect() as connection:
        await audit_database(connection, 20_000, report)  # the cap lowered to below 50,000

    assert report.ok, report.lines()
