"""bx_hold takes a hold's seats one statement each

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 03:30:00

bx_hold (reservations/holding_postgres.sql) keeps its signature, its answers and its locks; it
now finds, locks and takes each seat with a statement of its own, keyed by the date and the
seat's number and then by the seat's id, instead of one statement for all of a hold's seats by
`= ANY` of an array, which PostgreSQL planned again on every call. Replacing a function is
atomic and takes no lock on any table: safe on a live deployment, and an instance of the
previous release calls the new body with the same answers.
"""

from collections.abc import Sequence

from boxoffice.migrations import functions

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The file this migration loads, with its SHA-256 as loaded (tests/unit/test_server_functions.py).
LOADS = {
    "reservations/holding_postgres.sql": "fbe333d309c7b5079e8af2d3f4a9bcf84b17f58238b601d03707b8736102ac43",
}


def upgrade() -> None:
    functions.load(LOADS)


def downgrade() -> None:
    """Nothing: the function keeps its signature and answers (see migrations/functions.py)."""
