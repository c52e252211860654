"""a plan"s course is one index range: (plan_id, starts_at, id) replaces the plan_id index

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every course proposal and plan booking reads the plan"s sessions in course order (start,
# then id). With the plan_id index alone, SQLite walked the whole (starts_at, id) index to
# avoid a sort: a scan of the calendar"s history. The composite index answers the filter and
# the order in one range, and still serves the foreign key"s lookups.


def upgrade() -> None:
    op.create_index(
        "ix_treatment_sessions_plan_id_starts_at_id",
        "treatment_sessions",
        ["plan_id", "starts_at", "id"],
        unique=False,
    )
    op.drop_index("ix_treatment_sessions_plan_id", table_name="treatment_sessions")


def downgrade() -> None:
    op.create_index(
        "ix_treatment_sessions_plan_id", "treatment_sessions", ["plan_id"], unique=False
    )
    op.drop_index("ix_treatment_sessions_plan_id_starts_at_id", table_name="treatment_sessions")
