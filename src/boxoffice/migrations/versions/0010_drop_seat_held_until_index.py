"""drop the index of seats by the end of their hold

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 04:00:00

No query reads seats by `held_until` alone: the seat map, a hold and a payment find seats by
their date or their reservation, and the sweeper finds expired holds by the reservation's
`ix_reservation_status_held_until`. The index cost an entry for every seat held, paid or
released, and it misled the planner: on tables without statistics (a new database before its
first sale) the count of the seats a fan holds, with which every hold starts (`bx_hold`),
ANDed the fan's seats with every seat of the sale held until later than now, which grows with
the sale (docs/benchmarks.md, 2026-12-07).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    context = op.get_context()
    if context.dialect.name != "postgresql":
        op.drop_index("ix_seat_held_until", table_name="seat")
        return
    # CONCURRENTLY, outside the migration's transaction: a live sale keeps holding seats.
    with context.autocommit_block():
        op.drop_index(
            "ix_seat_held_until",
            table_name="seat",
            postgresql_concurrently=True,
            if_exists=True,
        )


def downgrade() -> None:
    op.create_index("ix_seat_held_until", "seat", ["held_until"])
