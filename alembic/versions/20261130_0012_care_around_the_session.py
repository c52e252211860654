"""care around the session: comfort, devices, course templates, care notices (issue 15)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import needleplan.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_notices",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("anchor", sa.String(length=20), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=True),
        sa.Column("device_code", sa.String(length=40), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", needleplan.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", needleplan.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_care_notices")),
    )
    op.create_table(
        "course_templates",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("indication", sa.String(length=200), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("intensity", sa.String(length=20), nullable=False),
        sa.Column("device_code", sa.String(length=40), nullable=True),
        sa.Column("sessions_planned", sa.Integer(), nullable=False),
        sa.Column("interval_min_days", sa.Integer(), nullable=False),
        sa.Column("interval_max_days", sa.Integer(), nullable=False),
        sa.Column("numbing", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", needleplan.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", needleplan.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_course_templates")),
    )
    op.create_table(
        "devices",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area_minutes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", needleplan.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", needleplan.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_devices")),
    )
    op.create_table(
        "session_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("notice_code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_at", needleplan.db.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("emitted_at", needleplan.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", needleplan.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", needleplan.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name=op.f("fk_session_notices_session_id_treatment_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_notices")),
        sa.UniqueConstraint(
            "session_id", "notice_code", name=op.f("uq_session_notices_session_id_notice_code")
        ),
    )
    op.create_index("ix_session_notices_due", "session_notices", ["state", "due_at"], unique=False)
    op.create_index(
        op.f("ix_session_notices_session_id"), "session_notices", ["session_id"], unique=False
    )

    op.add_column(
        "clients",
        sa.Column("numbing_preference", sa.String(length=20), server_default="ask", nullable=False),
    )
    op.add_column("clients", sa.Column("comfort_notes", sa.String(length=2000), nullable=True))

    op.add_column(
        "holds",
        sa.Column("numbing_source", sa.String(length=20), server_default="request", nullable=False),
    )
    op.add_column("holds", sa.Column("device_code", sa.String(length=40), nullable=True))

    op.add_column(
        "rooms",
        sa.Column("device_codes", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )

    op.add_column("treatment_plans", sa.Column("device_code", sa.String(length=40), nullable=True))
    op.add_column("treatment_plans", sa.Column("template", sa.String(length=40), nullable=True))

    op.add_column(
        "treatment_sessions",
        sa.Column("numbing_source", sa.String(length=20), server_default="request", nullable=False),
    )
    op.add_column(
        "treatment_sessions", sa.Column("device_code", sa.String(length=40), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("treatment_sessions", "device_code")
    op.drop_column("treatment_sessions", "numbing_source")

    op.drop_column("treatment_plans", "template")
    op.drop_column("treatment_plans", "device_code")

    op.drop_column("rooms", "device_codes")

    op.drop_column("holds", "device_code")
    op.drop_column("holds", "numbing_source")

    op.drop_column("clients", "comfort_notes")
    op.drop_column("clients", "numbing_preference")

    op.drop_index(op.f("ix_session_notices_session_id"), table_name="session_notices")
    op.drop_index("ix_session_notices_due", table_name="session_notices")

    op.drop_table("session_notices")
    op.drop_table("devices")
    op.drop_table("course_templates")
    op.drop_table("care_notices")
