"""indexes of holds and payments by time, for the organizer's live board

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 21:00:00

The board (`GET /api/v1/admin/board`) counts the holds made and the tickets sold in each of
the last 30 minutes, every few seconds while an organizer watches: without these, each count
reads the whole reservation or payment table (a full-size sale writes 25,000 of each). Both
columns only grow, so each insert adds to the right end of its index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_reservation_created_at", "reservation", "created_at"),
    ("ix_payment_paid_at", "payment", "paid_at"),
)


def upgrade() -> None:
    context = op.get_context()
    if context.dialect.name != "postgresql":
        for name, table, column in INDEXES:
            op.create_index(name, table, [column])
        return
    # CONCURRENTLY, outside the migration's transaction, as in 0004: a live sale keeps selling
    # while they are built. A build that fails leaves an invalid index: `boxoffice migrate`
    # rebuilds it.
    with context.autocommit_block():
        for name, table, column in INDEXES:
            op.create_index(name, table, [column], postgresql_concurrently=True, if_not_exists=True)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
