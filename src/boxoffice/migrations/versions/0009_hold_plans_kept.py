"""bx_hold keeps one plan per statement

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:30:00

bx_hold (reservations/holding_postgres.sql) now runs with plan_cache_mode set to
force_generic_plan and enable_seqscan off: its two statements that take seats by `= ANY` of an
array were planned afresh on every call, as their plan made once assumed a longer array than a
hold names (scripts/profiling/hold_plans.py); and a plan made once, on the small tables of a new
sale, read `seat` whole for as long as it was kept. Same signature, same answers, same locks: an
instance of the previous release calls it unchanged during a rolling upgrade. CREATE OR REPLACE
FUNCTION takes no lock on a table.
"""

from collections.abc import Sequence

from boxoffice.migrations import functions

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each file this migration loads, with its SHA-256 as loaded (tests/unit/test_server_functions.py).
LOADS = {
    "reservations/holding_postgres.sql": "2c0e276e76bd7f886c366b9545d60e1371930622e51f512cd04d904e84decae3",
}


def upgrade() -> None:
    functions.load(LOADS)


def downgrade() -> None:
    # The function as loaded stays (migrations/functions.py: a downgrade leaves the functions as
    # they are); its setting changes how it is planned, not what it does.
    pass
