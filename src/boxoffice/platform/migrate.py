"""Run Alembic migrations from code (the CLI and the tests), for SQLite and PostgreSQL alike."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config

from boxoffice.settings import Settings


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
