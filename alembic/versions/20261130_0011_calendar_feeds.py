"""calendar feeds: subscribed iCalendar feeds by token digest (issue 14, points 1, 2 and 4)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import needleplan.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('scope', sa.String(length=20), nullable=False),
        sa.Column('subject_id', sa.String(length=36), nullable=False),
        sa.Column('include_client_names', sa.Boolean(), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('created_by_key_id', sa.String(length=36), nullable=True),
        sa.Column('created_at', needleplan.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
        sa.UniqueConstraint('token_digest', name=op.f('uq_calendar_feeds_token_digest')),
    )


def downgrade() -> None:
    op.drop_table('calendar_feeds')
