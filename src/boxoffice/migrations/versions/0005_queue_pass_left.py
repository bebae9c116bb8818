"""the queue passes their fans gave up, for restoring a lost line

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:30:00

Should the waiting room's store be lost (a new, empty Redis), a signed pass brings its fan
back to their place; a pass its fan gave up must not come back, and only this table knows it.
A new table: it takes no lock on any table in use, so it is safe on a live deployment.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "queue_pass_left",
        sa.Column("pass_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", IdType, nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_queue_pass_left_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("pass_id", name=op.f("pk_queue_pass_left")),
    )


def downgrade() -> None:
    op.drop_table("queue_pass_left")
