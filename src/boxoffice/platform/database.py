"""SQL engine, the declarative base, and a UTC timestamp type that works alike on every engine."""

from __future__ import annotations

import os
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVarTuple, overload

from sqlalchemy import BigInteger, CursorResult, DateTime, Executable, MetaData, event
from sqlalchemy.engine import Dialect, Engine, ExceptionContext
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import TypedReturnsRows
from sqlalchemy.types import TypeDecorator

from boxoffice.platform.metrics import DEPENDENCY_FAULTS
from boxoffice.platform.readiness import Answering
from boxoffice.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite stores them naive, in a sortable text form."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class epoch_minute(FunctionElement[int]):  # noqa: N801 - used as SQL functions are: lower case
    """The minute of a `UTCDateTime` column as Unix seconds // 60, on every engine: for counts
    by the minute (GROUP BY epoch_minute(...))."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_minute"


@compiles(epoch_minute, "postgresql")
def _epoch_minute_postgresql(element: epoch_minute, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)}) / 60) AS bigint)"
    )


@compiles(epoch_minute, "sqlite")
def _epoch_minute_sqlite(element: epoch_minute, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UTC times as text (UTCDateTime); strftime('%s') reads them as UTC.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS integer) / 60"


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level so that SQLAlchemy's own BEGIN (below) opens every
        # transaction, reads included; pysqlite's implicit BEGIN before DML only is not atomic.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            # Another process holding the write lock longer than this: a retryable BUSY.
            f"busy_timeout={busy_timeout_ms}",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return on_connect


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


_OPENED_READ_ONLY = "boxoffice.opened_read_only"


def _replace_read_only_connections(engine: AsyncEngine, database: str) -> None:
    """Replace, at checkout, a connection opened while the database was read-only, once it is not.

    SQLite opens a file it may not write (a chmod, the immutable flag, a read-only mount) for
    reading only, silently, and that connection refuses every write ever after, even once the
    file is writable again: the pool would keep it, and answer 503 to writes for good. Whether
    the file and its WAL are writable (os.access, as SQLite's open finds it) is asked at connect,
    and again at checkout only for a connection opened read-only.
    """
    files = (Path(database), Path(f"{database}-wal"))

    def writable() -> bool:
        return all(os.access(file, os.W_OK) for file in files if file.exists())

    def on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info[_OPENED_READ_ONLY] = not writable()

    def on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.get(_OPENED_READ_ONLY) and writable():
            raise DisconnectionError("opened while the database file was read-only")

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "checkout", on_checkout)


_STALE_POSTGRES = DEPENDENCY_FAULTS.labels("postgresql", "stale_connection")


def _replace_closed_connections(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """At checkout, hand back a pooled connection the server has closed, for a fresh one.

    A PostgreSQL restart, failover or `pg_terminate_backend` closes every pooled connection; the
    driver learns of it from the socket without a round trip. Raising DisconnectionError here
    makes the pool discard the connection and check out another (or connect anew), so a fault
    that is already over is never seen by a request. A ping on every checkout would catch more
    (a peer that vanished without closing) at a round trip per request; those calls time out
    at the deadline instead.
    """
    if dbapi_connection.driver_connection.is_closed():
        _STALE_POSTGRES.inc()
        raise DisconnectionError("the server closed this pooled connection")


# SQLSTATE classes that mean the database cannot serve now: connection failures (08),
# insufficient resources such as too many connections (53), and a server shutting down (57P).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P")


def sqlstate(error: DBAPIError) -> str:
    """The SQLSTATE the driver's error carries ("" if none: SQLite's)."""
    original = error.orig
    return str(getattr(original, "sqlstate", None) or getattr(original, "pgcode", None) or "")


def cannot_serve(error: DBAPIError) -> bool:
    """Whether the error says the database cannot serve now, not that the request was wrong."""
    return error.connection_invalidated or sqlstate(error).startswith(_UNAVAILABLE_SQLSTATES)


_ANSWERING: weakref.WeakKeyDictionary[Engine, Answering] = weakref.WeakKeyDictionary()


def answering(engine: AsyncEngine) -> Answering:
    """What the engine's statements found (`platform/readiness.py`): each one answered marks
    it answering, each error that says the database cannot serve marks it failed."""
    found = _ANSWERING.get(engine.sync_engine)
    if found is None:
        found = _ANSWERING[engine.sync_engine] = Answering()

        def on_answer(*_: Any) -> None:
            found.answered()

        def on_error(context: ExceptionContext) -> None:
            error = context.sqlalchemy_exception
            if context.is_disconnect or (isinstance(error, DBAPIError) and cannot_serve(error)):
                found.failed()

        event.listen(engine.sync_engine, "after_cursor_execute", on_answer)
        event.listen(engine.sync_engine, "handle_error", on_error)
    return found


def create_engine(settings: Settings, *, long_statements: bool = False) -> AsyncEngine:
    """An async engine for the configured database, tuned for short transactions.

    `long_statements`: for a tool that reads whole tables (`boxoffice audit`), no deadline on a
    statement's answer; connecting and waiting for a pooled connection keep theirs.
    """
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, pool_size=5, max_overflow=5)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(settings.db_lock_timeout_ms))
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        if engine.url.database and engine.url.database != ":memory:":
            _replace_read_only_connections(engine, engine.url.database)
        answering(engine)
        return engine
    deadline = settings.request_deadline_seconds
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=False,
        # No call waits past the deadline: for a pooled connection, to connect, or for an answer.
        pool_timeout=deadline,
        connect_args={
            "timeout": deadline,
            "command_timeout": None if long_statements else deadline,
            "server_settings": {
                # A lock we cannot get in time becomes a retryable BUSY instead of a hang.
                "lock_timeout": str(settings.db_lock_timeout_ms),
                "idle_in_transaction_session_timeout": "30000",
                # Short statements only: a batch of holds or payments (platform/batching.py)
                # is estimated dear enough to be compiled by the JIT, which took ~200 ms of
                # PostgreSQL's CPU per batch of payments (docs/benchmarks.md) to save nothing.
                "jit": "off",
                "timezone": "UTC",
            },
        },
    )
    event.listen(engine.sync_engine, "checkout", _replace_closed_connections)
    answering(engine)
    return engine


_Columns = TypeVarTuple("_Columns")
_Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class OnDemandConnection:
    """A unit of work's connection, checked out of the engine's pool at its first statement.

    Most hot requests on PostgreSQL run one statement that a batch of them shares
    (`platform/batching.py`): only the request whose connection runs the batch needs one, and a
    checkout, autocommit and return cost ~105 µs of CPU where one statement costs ~190
    (scripts/profiling/sqlalchemy_overhead.py, 2026-12-06). A unit of work that runs no
    statement of its own takes none. `autocommit` (PostgreSQL only): each statement commits by
    itself; on every engine the connection then begins its transaction, as a unit of work's
    does.
    """

    def __init__(self, engine: AsyncEngine, *, autocommit: bool) -> None:
        self._engine = engine
        self._autocommit = autocommit
        self._connection: AsyncConnection | None = None

    @property
    def dialect(self) -> Dialect:
        return self._engine.dialect

    @property
    def checked_out(self) -> bool:
        return self._connection is not None

    async def connection(self) -> AsyncConnection:
        """The connection, checked out and its transaction begun on the first call."""
        if self._connection is None:
            self._connection = await self._check_out()
        return self._connection

    async def _check_out(self) -> AsyncConnection:
        connection = await self._engine.connect()
        try:
            if self._autocommit and connection.dialect.name == "postgresql":
                # Reads, and work that is one statement (a server-side function), need no
                # transaction of their own: autocommit spares the BEGIN and COMMIT round trips.
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.begin()
        except BaseException:
            # Failed or cancelled after the checkout: the connection goes back to the pool.
            await connection.close()
            raise
        return connection

    @overload
    async def execute(
        self, statement: TypedReturnsRows[*_Columns], parameters: _Parameters = None
    ) -> CursorResult[*_Columns]: ...

    @overload
    async def execute(
        self, statement: Executable, parameters: _Parameters = None
    ) -> CursorResult[*tuple[Any, ...]]: ...

    async def execute(self, statement: Executable, parameters: _Parameters = None) -> Any:
        """`statement` run on the connection (checked out first if it is not yet)."""
        return await (await self.connection()).execute(statement, parameters)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        """A savepoint: what the block wrote is undone if it raises."""
        async with (await self.connection()).begin_nested():
            yield

    async def commit(self) -> None:
        if self._connection is not None:
            await self._connection.commit()

    async def start_over(self) -> None:
        """Roll back what was written so far and go on in a new transaction."""
        if self._connection is not None:
            await self._connection.rollback()
            await self._connection.begin()

    async def close(self, *, committed: bool) -> None:
        """Give the connection back (rolled back first unless `committed`)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                if not committed:
                    await connection.rollback()
            finally:
                await connection.close()
