"""the change feed's outbox: one event per audited mutation, written by the same commit

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import needleplan.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # position: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT (never reused, even once pruned),
    # PostgreSQL's BIGSERIAL. xid: the writing transaction's id on PostgreSQL, 0 on SQLite
    # (events/position.py).
    op.create_table(
        'events',
        sa.Column(
            'position',
            sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('xid', sa.BigInteger(), nullable=False),
        sa.Column('type', sa.String(length=60), nullable=False),
        sa.Column('subject_kind', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.String(length=64), nullable=False),
        sa.Column('occurred_at', needleplan.db.UTCDateTime(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('data_private', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('position', name=op.f('pk_events')),
        sa.UniqueConstraint('id', name=op.f('uq_events_id')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_events_xid_position', 'events', ['xid', 'position'], unique=False)
    op.create_index('ix_events_occurred_at', 'events', ['occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_events_occurred_at', table_name='events')
    op.drop_index('ix_events_xid_position', table_name='events')
    op.drop_table('events')
