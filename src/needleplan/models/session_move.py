from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field, instant_field


class SessionMove(SQLModel, table=True):
    """One reschedule of a session: where and when it was, and where and when it went."""

    __tablename__ = "session_moves"

    id: str = id_field()
    session_id: str = Field(foreign_key="treatment_sessions.id", max_length=36, index=True)
    from_starts_at: datetime = instant_field()
    to_starts_at: datetime = instant_field()
    from_provider_id: str = Field(max_length=36)
    to_provider_id: str = Field(max_length=36)
    from_room_id: str = Field(max_length=36)
    to_room_id: str = Field(max_length=36)
    moved_by_key_id: str | None = Field(default=None, max_length=36)
    moved_at: datetime = created_at_field()
