"""busy-day summary of session blocks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 04:30:00
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MINUTES_PER_DAY = 24 * 60
_MINUTE = timedelta(minutes=1)


def upgrade() -> None:
    busy_days = op.create_table('busy_days',
    sa.Column('resource_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('minutes', sqlmodel.sql.sqltypes.AutoString(length=1440), nullable=False),
    sa.PrimaryKeyConstraint('resource_id', 'day', name=op.f('pk_busy_days'))
    )
    _summarise_existing_blocks(busy_days)


def downgrade() -> None:
    op.drop_table('busy_days')


def _summarise_existing_blocks(busy_days: sa.Table) -> None:
    """Fill the summary from the session blocks already booked (self-contained: a migration
    must not depend on application code that later changes)."""
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # No booking may slip in between this read and the commit: it would be missing from
        # the summary. (Stop processes of the previous version before migrating: they write
        # blocks without the summary. `needleplan rebuild-busy-days` repairs it if one did.)
        op.execute('LOCK TABLE busy_blocks IN SHARE MODE')
    blocks = sa.table(
        'busy_blocks',
        sa.column('resource_id', sa.String),
        sa.column('starts_at', sa.DateTime(timezone=True)),
        sa.column('ends_at', sa.DateTime(timezone=True)),
        sa.column('expires_at', sa.DateTime(timezone=True)),
    )
    days: dict[tuple[str, date], bytearray] = defaultdict(
        lambda: bytearray(b'0' * MINUTES_PER_DAY)
    )
    rows = bind.execute(
        sa.select(blocks.c.resource_id, blocks.c.starts_at, blocks.c.ends_at).where(
            blocks.c.expires_at.is_(None)
        )
    )
    for resource_id, starts_at, ends_at in rows:
        start, end = _utc(starts_at), _utc(ends_at)
        while start < end:
            midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
            first = (start - midnight) // _MINUTE
            last = min(-(-(end - midnight) // _MINUTE), MINUTES_PER_DAY)  # rounded up
            days[(resource_id, midnight.date())][first:last] = b'1' * (last - first)
            start = midnight + timedelta(days=1)
    if days:
        op.bulk_insert(
            busy_days,
            [
                {'resource_id': resource_id, 'day': day, 'minutes': text.decode()}
                for (resource_id, day), text in sorted(days.items())
            ],
        )


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive UTC text parsed as naive datetimes; PostgreSQL aware ones.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
