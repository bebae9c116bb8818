"""Run Alembic migrations from code (the CLI and the tests), for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy import text
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


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("boxoffice") / "migrations"))
    config.attributes["database_url"] = settings.effective_database_url
    return config


def upgrade(settings: Settings) -> None:
    """Bring the database to the newest schema; does nothing when it is there already."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), "head")


def rebuild_invalid_indexes(settings: Settings) -> tuple[list[str], dict[str, str]]:
    """Rebuild the database's invalid indexes (PostgreSQL; none on SQLite) by `REINDEX INDEX
    CONCURRENTLY`, which, like the build that failed, lets writes go on: the names rebuilt, and
    those still invalid with the error that kept each so."""
    if settings.is_sqlite:
        return [], {}

    async def rebuild() -> tuple[list[str], dict[str, str]]:
        engine = create_engine(settings, long_statements=True)
        rebuilt: list[str] = []
        failed: dict[str, str] = {}
        try:
            async with engine.connect() as reading:
                names = list((await reading.execute(_INVALID_INDEXES)).scalars())
            for name in names:
                quoted = engine.dialect.identifier_preparer.quote(name)
                try:
                    async with engine.connect() as connection:
                        autocommit = await connection.execution_options(
                            isolation_level="AUTOCOMMIT"
                        )
                        await autocommit.execute(text(f"REINDEX INDEX CONCURRENTLY {quoted}"))
                    rebuilt.append(name)
                except DBAPIError as error:
                    failed[name] = str(error.orig).splitlines()[0]
        finally:
            await engine.dispose()
        return rebuilt, failed

    return asyncio.run(rebuild())
