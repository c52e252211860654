from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field


class CalendarFeed(SQLModel, table=True):
    """A subscribed iCalendar feed (calendar_feeds/). Only the SHA-256 digest of its token is
    stored, like an API key's: the feed's URL is shown once, when it is created."""

    __tablename__ = "calendar_feeds"

    id: str = id_field()
    scope: str = Field(max_length=20)
    subject_id: str = Field(max_length=36)
    include_client_names: bool = Field(default=False)
    token_digest: str = Field(max_length=64, unique=True)
    created_by_key_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = created_at_field()
