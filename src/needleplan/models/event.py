from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field

# SQLite makes only an INTEGER PRIMARY KEY the rowid; AUTOINCREMENT never reuses a position,
# even after the newest events are pruned.
_POSITION = BigInteger().with_variant(Integer(), "sqlite")


class Event(SQLModel, table=True):
    """The change feed's outbox: one row per audited mutation, written by the same commit.

    ``position`` and ``xid`` order the feed (events/position.py owns what they mean): on
    PostgreSQL ``xid`` is the writing transaction's id, on SQLite 0 (writes are serialised)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_xid_position", "xid", "position"),
        Index("ix_events_occurred_at", "occurred_at"),
        {"sqlite_autoincrement": True},
    )

    position: int | None = Field(
        default=None, sa_column=Column(_POSITION, primary_key=True, autoincrement=True)
    )
    id: str = Field(max_length=36, unique=True)
    xid: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False))
    type: str = Field(max_length=60)
    subject_kind: str = Field(max_length=40)
    subject_id: str = Field(max_length=64)
    occurred_at: datetime = created_at_field()
    # The resource as GET returns it when the event was written: for the richest role, and for
    # an ``integration`` key (None: the event is not shown to integration keys).
    data: dict[str, Any] = Field(sa_column=Column(JSON(), nullable=False))
    data_private: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON()))
