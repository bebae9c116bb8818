"""Databases for the money-path contract suites: a small date, a few fans, on each engine.

SQLite: a file migrated once per session, copied afresh for every example. PostgreSQL (only with
`BOXOFFICE_TEST_DATABASE_URL`; skipped without it, like the other PostgreSQL tests): migrated
once per session, every table emptied before each example.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import and_, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.accounts.models import UserAccount
from boxoffice.catalog.models import Concert, Schedule, Seat
from boxoffice.migrations.schema import metadata
from boxoffice.platform.database import create_engine
from boxoffice.platform.migrate import upgrade
from boxoffice.reservations.models import Reservation, ReservationSeat
from boxoffice.settings import Settings
from boxoffice.unit_of_work import UnitOfWork
from boxoffice.wallet.models import Wallet, WalletTransaction
from tests.conftest import TEST_DATABASE_URL, TEST_SETTINGS

T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
HOLD = timedelta(seconds=300)
FANS = (1, 2, 3)
# Seat number -> price: a small date, with one free seat to test a zero amount.
PRICES = {1: 50_000, 2: 50_000, 3: 80_000, 4: 80_000, 5: 120_000, 6: 0}
SCHEDULE = 1
ENGINES = ["sqlite", "postgresql"]


@dataclass
class Venue:
    """One database with the date and the fans in it."""

    engine: AsyncEngine

    def uow(self, *, readonly: bool = False, autocommit: bool = False) -> UnitOfWork:
        """A `UnitOfWorkFactory` over this database (without SQLite's writer turns)."""
        return UnitOfWork(self.engine, readonly=readonly, autocommit=autocommit)

    async def seats(self) -> dict[int, tuple[str, int | None]]:
        """Seat number -> (status, reservation id), as stored."""
        async with self.engine.connect() as connection:
            rows = await connection.execute(select(Seat.number, Seat.status, Seat.reservation_id))
            return {r.number: (r.status, r.reservation_id) for r in rows}

    async def live_claims_per_seat(self, now: datetime) -> dict[int, int]:
        """Seat id -> how many live reservations (HELD and unexpired, or CONFIRMED) name it."""
        live = or_(
            Reservation.status == "CONFIRMED",
            and_(Reservation.status == "HELD", Reservation.held_until > now),
        )
        query = (
            select(ReservationSeat.seat_id, func.count())
            .join(Reservation, Reservation.id == ReservationSeat.reservation_id)
            .where(live)
            .group_by(ReservationSeat.seat_id)
        )
        async with self.engine.connect() as connection:
            return {int(seat): int(count) for seat, count in await connection.execute(query)}

    async def balances(self) -> dict[int, int]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(select(Wallet.user_id, Wallet.balance))
            return {int(r.user_id): int(r.balance) for r in rows}

    async def ledger_sums(self) -> dict[int, int]:
        sums = dict.fromkeys(FANS, 0)
        async with self.engine.connect() as connection:
            for r in await connection.execute(
                select(WalletTransaction.user_id, WalletTransaction.amount)
            ):
                sums[int(r.user_id)] += int(r.amount)
        return sums

    async def reservation_statuses(self) -> dict[int, str]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(select(Reservation.id, Reservation.status))
            return {int(r.id): str(r.status) for r in rows}


def prepare(engine_name: str) -> None:
    """Migrate the engine's database once (outside any event loop: Alembic runs its own), or
    skip PostgreSQL without `BOXOFFICE_TEST_DATABASE_URL`."""
    if engine_name == "sqlite":
        _sqlite_template()
    elif TEST_DATABASE_URL is None:
        pytest.skip("PostgreSQL runs with BOXOFFICE_TEST_DATABASE_URL")
    else:
        _migrated_postgres()


@cache
def _sqlite_template() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="boxoffice-money-"))
    upgrade(Settings(data_dir=directory, database_url=None, **TEST_SETTINGS))
    return directory / "boxoffice.db"


@cache
def _migrated_postgres() -> str:
    assert TEST_DATABASE_URL is not None
    upgrade(Settings(database_url=TEST_DATABASE_URL, **TEST_SETTINGS))
    return TEST_DATABASE_URL


@asynccontextmanager
async def venue(engine_name: str, **settings_: Any) -> AsyncIterator[Venue]:
    """A fresh database of the engine with the date and the fans; disposed afterwards
    (`settings_`: Settings fields beside the tests' own, e.g. the pool's size)."""
    if engine_name == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="boxoffice-money-"))
        shutil.copy(_sqlite_template(), directory / "boxoffice.db")
        settings = Settings(data_dir=directory, database_url=None, **TEST_SETTINGS | settings_)
    else:
        settings = Settings(database_url=_migrated_postgres(), **TEST_SETTINGS | settings_)
    engine = create_engine(settings)
    try:
        if engine_name == "postgresql":
            tables = ", ".join(table.name for table in metadata.sorted_tables)
            async with engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await _seed(engine)
        yield Venue(engine)
    finally:
        await engine.dispose()
        if engine_name == "sqlite":
            shutil.rmtree(settings.data_dir, ignore_errors=True)


async def _seed(engine: AsyncEngine) -> None:
    long_ago = T0 - timedelta(days=30)
    async with engine.begin() as connection:
        for fan in FANS:
            await connection.execute(
                insert(UserAccount).values(
                    id=fan, username=f"fan{fan}", password_hash="-", created_at=long_ago
                )
            )
            await connection.execute(
                insert(Wallet).values(user_id=fan, balance=0, currency="KRW", updated_at=long_ago)
            )
        await connection.execute(insert(Concert).values(id=1, title="Tour", created_at=long_ago))
        await connection.execute(
            insert(Schedule).values(
                id=SCHEDULE,
                concert_id=1,
                starts_at=T0 + timedelta(days=60),
                total_seats=len(PRICES),
                created_at=long_ago,
            )
        )
        await connection.execute(
            insert(Seat),
            [
                {"schedule_id": SCHEDULE, "number": n, "price": p, "status": "AVAILABLE"}
                for n, p in PRICES.items()
            ],
        )
        if engine.dialect.name == "postgresql":
            # Rows given ids by hand: the sequences go on from them.
            for table in ("user_account", "concert", "schedule"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )


@dataclass
class Booking:
    """A reservation as the model knows it."""

    id: int
    fan: int
    numbers: tuple[int, ...]
    held_until: datetime
    confirmed: bool = False

    @property
    def amount(self) -> int:
        return sum(PRICES[n] for n in self.numbers)


@dataclass
class SeatsModel:
    """What the rules say about seats: who holds or bought which, and until when."""

    bookings: list[Booking]
    owner: dict[int, Booking]  # seat number -> the booking that took it last

    @classmethod
    def empty(cls) -> SeatsModel:
        return cls([], {})

    def is_free(self, number: int, now: datetime) -> bool:
        if number not in PRICES:
            return False
        booking = self.owner.get(number)
        return booking is None or (not booking.confirmed and booking.held_until <= now)

    def live_held(self, fan: int, now: datetime) -> int:
        return sum(
            len(b.numbers)
            for b in self.bookings
            if b.fan == fan and not b.confirmed and b.held_until > now
        )

    def take(self, booking: Booking) -> None:
        self.bookings.append(booking)
        for number in booking.numbers:
            self.owner[number] = booking

    def still_owns_its_seats(self, booking: Booking) -> bool:
        return all(self.owner[n] is booking for n in booking.numbers)

    def expected_seat_rows(self) -> dict[int, tuple[str, int | None]]:
        """Seat rows as stored (no sweeper runs here, so a lapsed hold stays HELD)."""
        rows: dict[int, tuple[str, int | None]] = dict.fromkeys(PRICES, ("AVAILABLE", None))
        for number, booking in self.owner.items():
            rows[number] = ("SOLD" if booking.confirmed else "HELD", booking.id)
        return rows
