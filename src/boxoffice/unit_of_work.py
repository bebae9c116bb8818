"""The unit of work: one transaction, and the repositories that work inside it."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.accounts.repository import AccountRepository
from boxoffice.catalog.repository import CatalogRepository
from boxoffice.payments.repository import PaymentRepository
from boxoffice.payments.settling import PaymentSettler
from boxoffice.payments.settling_postgres import PostgresPaymentSettler, SettleCombiner
from boxoffice.payments.settling_steps import SteppedPaymentSettler
from boxoffice.platform.database import OnDemandConnection
from boxoffice.platform.errors import AccountGone, Busy
from boxoffice.platform.idempotency import IdempotencyRepository
from boxoffice.reservations.holding import SeatHolder
from boxoffice.reservations.holding_postgres import HoldCombiner, PostgresSeatHolder
from boxoffice.reservations.holding_steps import SteppedSeatHolder
from boxoffice.reservations.repository import ReservationRepository
from boxoffice.waiting_room.repository import LineRepository, PassRecordRepository
from boxoffice.wallet.repository import WalletRepository

# SQLSTATEs that mean "could not get a lock or a consistent snapshot in time": retryable.
_RETRYABLE_SQLSTATES = {"55P03", "40P01", "40001", "57014"}


def _is_retryable(error: DBAPIError) -> bool:
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(original)


def _names_a_missing_account(error: IntegrityError) -> bool:
    """A row written for an account that does not exist. The API checks every other reference
    (dates, seats, reservations) before writing, under lock, so the one a request can miss is
    its own account's: on PostgreSQL the error names it; SQLite's names no table."""
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate is not None:
        return bool(sqlstate == "23503" and "user_account" in str(original))
    return "FOREIGN KEY constraint failed" in str(original)


class UnitOfWork:
    """`async with uow: ...; await uow.commit()`. Leaving without commit rolls everything back.

    With `autocommit` (PostgreSQL only; SQLite still takes its writer turn and one transaction)
    each statement commits by itself: only for work that is a single statement.
    `holds`, `payments`: the process's `HoldCombiner` and `SettleCombiner`, which send the
    PostgreSQL holds (payments) asked for at the same time as one statement (none: each alone);
    used in autocommit only.
    """

    accounts: AccountRepository
    catalog: CatalogRepository
    reservations: ReservationRepository
    wallets: WalletRepository
    payments: PaymentRepository
    idempotency: IdempotencyRepository
    passes: PassRecordRepository
    lines: LineRepository
    # The money paths, one adapter per engine: PostgreSQL runs each as one statement (a server
    # function), any other engine as steps inside this transaction.
    seat_holder: SeatHolder
    settler: PaymentSettler

    def __init__(
        self,
        engine: AsyncEngine,
        write_lock: asyncio.Lock | None = None,
        *,
        readonly: bool = False,
        autocommit: bool = False,
        holds: HoldCombiner | None = None,
        payments: SettleCombiner | None = None,
    ) -> None:
        self._engine = engine
        self._holds = holds
        self._payments = payments
        self._write_lock = write_lock
        self._readonly = readonly
        self._autocommit = readonly or autocommit
        self._connection: OnDemandConnection | None = None
        self._committed = False
        self._holding_lock = False

    async def __aenter__(self) -> Self:
        if self._write_lock is not None:
            # SQLite has one writer: taking turns here beats "database is locked" retries.
            await self._write_lock.acquire()
            self._holding_lock = True
        # Checked out at the first statement: a request whose statement goes in a batch that
        # another request's connection runs takes none (platform/database.py).
        connection = OnDemandConnection(self._engine, autocommit=self._autocommit)
        self._connection = connection
        self.accounts = AccountRepository(connection)
        self.catalog = CatalogRepository(connection)
        self.reservations = ReservationRepository(connection)
        self.wallets = WalletRepository(connection)
        self.payments = PaymentRepository(connection)
        self.idempotency = IdempotencyRepository(connection)
        self.passes = PassRecordRepository(connection)
        self.lines = LineRepository(connection)
        if connection.dialect.name == "postgresql":
            # Batches only outside a transaction: each call of a batch must commit with it,
            # not with whatever the unit that ran the batch does afterwards.
            batching = self._autocommit
            self.seat_holder = PostgresSeatHolder(connection, self._holds if batching else None)
            self.settler = PostgresPaymentSettler(connection, self._payments if batching else None)
        else:
            self.seat_holder = SteppedSeatHolder(self.reservations)
            self.settler = SteppedPaymentSettler(
                self.reservations, self.wallets, self.payments, self.idempotency
            )
        return self

    async def commit(self) -> None:
        assert self._connection is not None
        await self._connection.commit()
        self._committed = True

    async def start_over(self) -> None:
        """Roll back what this unit wrote so far and go on in a new transaction, keeping
        SQLite's writer turn: after a refusal that left writes (a SHORT hold in steps)."""
        assert self._connection is not None
        await self._connection.start_over()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._connection is not None
        try:
            await self._connection.close(committed=self._committed)
        finally:
            self._release()
        if isinstance(exc, IntegrityError) and _names_a_missing_account(exc):
            raise AccountGone() from exc
        if isinstance(exc, DBAPIError) and _is_retryable(exc):
            raise Busy() from exc

    def _release(self) -> None:
        if self._write_lock is not None and self._holding_lock:
            self._holding_lock = False
            self._write_lock.release()


class UnitOfWorkFactory(Protocol):
    """Opens units of work; read-only ones skip SQLite's writer turn-taking."""

    def __call__(self, *, readonly: bool = False, autocommit: bool = False) -> UnitOfWork: ...
