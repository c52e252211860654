from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from needleplan.kit.statuses import NoticeKind, NoticeState
from needleplan.models._columns import created_at_field, id_field, instant_field, status_field


class SessionNotice(SQLModel, table=True):
    """One care notice scheduled for one session: created, moved or cancelled with the session in
    its transaction, emitted once as ``session.notice_due`` by the worker when due."""

    __tablename__ = "session_notices"
    __table_args__ = (
        UniqueConstraint("session_id", "notice_code"),
        Index("ix_session_notices_due", "state", "due_at"),
    )

    id: str = id_field()
    session_id: str = Field(
        foreign_key="treatment_sessions.id", ondelete="CASCADE", max_length=36, index=True
    )
    notice_code: str = Field(max_length=40)
    kind: NoticeKind = status_field(NoticeKind)
    due_at: datetime = instant_field()
    state: NoticeState = status_field(NoticeState)
    # The session's version the due time was computed from: one emission per notice and version.
    session_version: int
    emitted_at: datetime | None = instant_field(nullable=True)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
