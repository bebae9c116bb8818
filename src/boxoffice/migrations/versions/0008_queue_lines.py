"""a line of its own per concert

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 00:00:00

Which concerts have a line of their own (API v1.1: `PUT /admin/concerts/{id}/queue`); every
other concert stays in the house line. The lines themselves live in the waiting-room store; this
table says which exist, so that every instance agrees and the answer outlives the store. A new
table: it takes no lock on any table in use, so it is safe on a live deployment.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "queue_line",
        sa.Column("concert_id", IdType, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closing_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["concert_id"], ["concert.id"], name=op.f("fk_queue_line_concert_id_concert")
        ),
        sa.PrimaryKeyConstraint("concert_id", name=op.f("pk_queue_line")),
    )


def downgrade() -> None:
    op.drop_table("queue_line")
