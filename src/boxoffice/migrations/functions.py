"""The server-side functions of PostgreSQL, kept as `.sql` files beside the adapters that call
them (`reservations/holding_postgres.sql`, `payments/settling_postgres.sql`), and loaded by the
migrations.

A file holds one `CREATE OR REPLACE FUNCTION`: a change to a function is a diff of its file,
shipped with a migration that loads the file again and records, in its `LOADS`, the file's
SHA-256 (tests/unit/test_server_functions.py fails while a file differs from what the last
migration to load it recorded). The function keeps its signature and its answers for as long
as instances of an older release may call it during a rolling upgrade: a change in either is a
function of a new name, the old one dropped by a later release (docs/operations.md).

An older migration run on a new database loads the file as it is now, not as it was: the
database converges on the current functions, and a downgrade leaves them as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from importlib.resources import files

from alembic import op

__all__ = ["load", "sha256", "sql"]


def sql(path: str) -> str:
    """The text of a function's file, by its path in the package (`payments/...sql`)."""
    return (files("boxoffice") / path).read_text(encoding="utf-8")


def sha256(path: str) -> str:
    return hashlib.sha256(sql(path).encode()).hexdigest()


def load(loads: Mapping[str, str]) -> None:
    """Create or replace each file's function in the migration's database (PostgreSQL only:
    SQLite runs the same steps as statements of its adapters)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for path in loads:
        # As the driver's own text: no bind parameters read into `format`'s placeholders.
        bind.exec_driver_sql(sql(path))
