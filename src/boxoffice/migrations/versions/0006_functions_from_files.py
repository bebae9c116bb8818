"""hold and pay as functions kept in files beside their adapters

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:00:00

bx_hold and bx_settle do what bx_hold_seats (0002) and bx_pay_once (0003) do, step for step and
lock for lock, with two changes: they answer the values of the domain's outcome enums
(HoldOutcome, SettleOutcome), and bx_settle no longer writes the API's JSON: it returns the
payment's facts, from which Python renders the answer, and is handed that rendering with the id
and amount left open to store under the Idempotency-Key (payments/settling_postgres.py). Their SQL
lives in reservations/holding_postgres.sql and payments/settling_postgres.sql (see
migrations/functions.py).

New functions beside the old, so an instance of the previous release keeps calling
bx_hold_seats and bx_pay_once while the instances are replaced one by one; both store the same
answers under a key. The release after this one drops the old two (docs/operations.md).
"""

from collections.abc import Sequence

from alembic import op

from boxoffice.migrations import functions

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each file this migration loads, with its SHA-256 as loaded (tests/unit/test_server_functions.py).
LOADS = {
    "reservations/holding_postgres.sql": "b0a5293088c4aa4808c8a47e8495784728e559221761f0cbcb36f86eadc998fe",
    "payments/settling_postgres.sql": "0cea825e6e4ee6e2d315838ce488cd77ea42fce135f8be0575904a5a2577dc99",
}


def upgrade() -> None:
    functions.load(LOADS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DROP FUNCTION bx_hold(bigint, bigint, integer[], timestamptz, timestamptz, integer)"
    )
    op.execute("DROP FUNCTION bx_settle(bigint, bigint, timestamptz, text, text, text, integer)")
