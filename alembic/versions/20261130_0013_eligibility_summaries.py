"""eligibility summaries: one row of eligibility facts per client (issue 12)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 12:30:00

The rows are written by the application (screening/summaries.py) in the transaction that
changes a client's screenings, retractions or overrides (the birth date is read from the
client's row); ``needleplan migrate`` then writes the row of every client that has none
(screening.summaries.summarise_missing), so an upgraded database is summarised before it
serves.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eligibility_summaries",
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_eligibility_summaries_client_id_clients"),
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_eligibility_summaries")),
    )


def downgrade() -> None:
    op.drop_table("eligibility_summaries")
