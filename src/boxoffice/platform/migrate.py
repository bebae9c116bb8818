"""Run Alembic migrations from code (the CLI and the tests), for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from boxoffice.platform.database import create_engine
from boxoffice.settings import Settings

# Indexes a `CREATE INDEX CONCURRENTLY` left behind when it failed: never used, and skipped by
# the migration that builds it when run again (IF NOT EXISTS).
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


def invalid_indexes(settings: Settings) -> list[str]:
    """The database's invalid indexes (PostgreSQL; none on SQLite), by name."""
    if settings.is_sqlite:
        return []

    async def read() -> list[str]:
        engine = create_engine(settings)
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(_INVALID_INDEXES)).scalars())
        finally:
            await engine.dispose()

    return asyncio.run(read())
