"""the SQLite overlap trigger reads one day of the resource, not its history

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 06:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A block lasts at most 24 hours (durations: "a session lasts at most 24 hours"), so a block
# that overlaps NEW started after NEW.starts_at - 24 h: the (resource_id, starts_at) index
# seeks to that day instead of reading every earlier block of the resource.
#
# UTCDateTime stores naive UTC text as 'YYYY-MM-DD HH:MM:SS.ffffff'. datetime() would return
# 'YYYY-MM-DD HH:MM:SS' after rounding the fraction to milliseconds, so the bound is built
# exactly in the stored format instead: the whole seconds shifted by 24 hours (exact
# arithmetic, no fraction to round), followed by NEW's own fraction. Text comparison then
# orders it against stored values as instants.
_BOUNDED = """
CREATE TRIGGER busy_blocks_no_overlap
BEFORE INSERT ON busy_blocks
BEGIN
    SELECT RAISE(ABORT, 'slot-taken')
    WHERE EXISTS (
        SELECT 1 FROM busy_blocks
        WHERE resource_kind = NEW.resource_kind
          AND resource_id = NEW.resource_id
          AND starts_at < NEW.ends_at
          AND starts_at > datetime(substr(NEW.starts_at, 1, 19), '-24 hours')
                          || substr(NEW.starts_at, 20)
          AND NEW.starts_at < ends_at
    );
END
"""

# The trigger of revision 0003, unchanged.
_UNBOUNDED = """
CREATE TRIGGER busy_blocks_no_overlap
BEFORE INSERT ON busy_blocks
BEGIN
    SELECT RAISE(ABORT, 'slot-taken')
    WHERE EXISTS (
        SELECT 1 FROM busy_blocks
        WHERE resource_kind = NEW.resource_kind
          AND resource_id = NEW.resource_id
          AND starts_at < NEW.ends_at
          AND NEW.starts_at < ends_at
    );
END
"""


def upgrade() -> None:
    # PostgreSQL's exclusion constraint (GiST on the range) needs no bound.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS busy_blocks_no_overlap')
        op.execute(_BOUNDED)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS busy_blocks_no_overlap')
        op.execute(_UNBOUNDED)
