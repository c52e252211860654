from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from needleplan.models._columns import id_field, instant_field


class BusyBlock(SQLModel, table=True):
    """A resource busy over [starts_at, ends_at) for a live session or an unexpired hold.

    The database guarantees that blocks of one resource never overlap: an exclusion constraint
    on PostgreSQL, a trigger inside SQLite's serialised write transactions (migration 0003).
    """

    __tablename__ = "busy_blocks"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="ordered"),
        CheckConstraint("(session_id IS NULL) <> (hold_id IS NULL)", name="one_owner"),
        # Resource ids are unique across kinds (UUIDs), so (id, start) serves every calendar read.
        Index("ix_busy_blocks_resource_id_starts_at", "resource_id", "starts_at"),
        Index("ix_busy_blocks_expires_at", "expires_at"),
    )

    id: str = id_field()
    resource_kind: str = Field(max_length=10)
    resource_id: str = Field(max_length=36)
    starts_at: datetime = instant_field()
    ends_at: datetime = instant_field()
    session_id: str | None = Field(
        default=None, foreign_key="treatment_sessions.id", max_length=36, index=True
    )
    hold_id: str | None = Field(default=None, foreign_key="holds.id", max_length=36, index=True)
    expires_at: datetime | None = instant_field(nullable=True)
