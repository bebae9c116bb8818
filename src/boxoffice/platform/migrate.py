"""Run Alembic migrations from code (the CLI and the tests), for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, make_url, text
from sqlalchemy.exc import DBAPIError

from boxoffice.platform.database import create_engine
from boxoffice.settings import Settings

# Indexes a `CREATE INDEX CONCURRENTLY` left behind when it failed: never used, and skipped by
# the migration that builds it when run again (IF NOT EXISTS), which then counts as done.
_INVALID_INDEXES = text(
    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE NOT i.indisvalid AND n.nspname = current_schema() ORDER BY c.relname"
)


_SCRIPT_LOCATION = str(files("boxoffice") / "migrations")


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPT_LOCATION)
    config.attributes["database_url"] = settings.effective_database_url
    return config


def upgrade(settings: Settings) -> None:
    """Bring the database to the newest schema; does nothing when it is there already."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), "head")


class SchemaState(StrEnum):
    """How a database's schema stands to this version's migrations."""

    CURRENT = "current"  # at this version's newest migration
    AHEAD = "ahead"  # migrated by a newer version, which keeps serving this one (operations.md)
    BEHIND = "behind"  # not migrated (or not yet to this version's newest): run migrate


@functools.cache
def _migrations() -> tuple[frozenset[str], frozenset[str]]:
    """This version's newest revisions and every revision it knows."""
    scripts = ScriptDirectory(_SCRIPT_LOCATION)
    return (
        frozenset(scripts.get_heads()),
        frozenset(script.revision for script in scripts.walk_revisions()),
    )


def schema_state(connection: Connection) -> SchemaState:
    """Where the database `connection` reads stands: by the revisions Alembic recorded in it
    (none in a database never migrated). A revision this version does not know is a newer
    version's (migrations only add), under which this version still serves."""
    recorded = set(MigrationContext.configure(connection).get_current_heads())
    newest, known = _migrations()
    if newest <= recorded:
        return SchemaState.CURRENT
    if recorded - known:
        return SchemaState.AHEAD
    return SchemaState.BEHIND


def read_schema_state(settings: Settings) -> SchemaState:
    """`schema_state` of the configured database, for a command about to serve it; raises
    what connecting raises. An embedded database whose file does not exist is BEHIND (and is
    not created here)."""
    url = settings.effective_database_url
    if settings.is_sqlite:
        path = make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            return SchemaState.BEHIND

    async def read() -> SchemaState:
        engine = create_engine(settings)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(schema_state)
        finally:
            await engine.dispose()

    return asyncio.run(read())


# What a REINDEX INDEX CONCURRENTLY that failed leaves beside the index (PostgreSQL's own
# names): a copy of it, invalid, to be dropped, never rebuilt (it would stay as a duplicate).
_REINDEX_LEFTOVER = re.compile(r".+_cc(new|old)\d*")


@dataclass(frozen=True)
class Repaired:
    """What `repair_invalid_indexes` did: indexes rebuilt, leftovers of a failed rebuild
    dropped, and those it could not repair with the error that kept each so."""

    rebuilt: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def repair_invalid_indexes(settings: Settings) -> Repaired:
    """Repair the database's invalid indexes (PostgreSQL; none on SQLite), as concurrently as
    they were built, so writes go on: each rebuilt by `REINDEX INDEX CONCURRENTLY`, first the
    copies such a rebuild left when it failed dropped (`DROP INDEX CONCURRENTLY`)."""
    repaired = Repaired()
    if settings.is_sqlite:
        return repaired

    async def repair() -> None:
        engine = create_engine(settings, long_statements=True)
        try:
            async with engine.connect() as reading:
                names = list((await reading.execute(_INVALID_INDEXES)).scalars())
            leftovers = [name for name in names if _REINDEX_LEFTOVER.fullmatch(name)]
            for name in [*leftovers, *(name for name in names if name not in leftovers)]:
                quoted = engine.dialect.identifier_preparer.quote(name)
                leftover = name in leftovers
                statement = (
                    "DROP INDEX CONCURRENTLY IF EXISTS"
                    if leftover
                    else "REINDEX INDEX CONCURRENTLY"
                )
                try:
                    async with engine.connect() as connection:
                        autocommit = await connection.execution_options(
                            isolation_level="AUTOCOMMIT"
                        )
                        await autocommit.execute(text(f"{statement} {quoted}"))
                except DBAPIError as error:
                    repaired.failed[name] = str(error.orig).splitlines()[0]
                else:
                    (repaired.dropped if leftover else repaired.rebuilt).append(name)
        finally:
            await engine.dispose()

    asyncio.run(repair())
    return repaired
