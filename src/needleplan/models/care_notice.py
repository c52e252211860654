from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from needleplan.kit.statuses import NoticeAnchor, NoticeKind
from needleplan.models._columns import created_at_field, instant_field, status_field, version_field


class CareNotice(SQLModel, table=True):
    """A reminder or care-notice template (docs/domain.md#care-notices): due ``offset_minutes``
    after the session's ``anchor`` (negative: before), for the sessions its filters match."""

    __tablename__ = "care_notices"

    code: str = Field(primary_key=True, max_length=40)
    kind: NoticeKind = status_field(NoticeKind)
    anchor: NoticeAnchor = status_field(NoticeAnchor)
    offset_minutes: int
    # Only sessions treating one of these areas (None: any area).
    areas: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Only sessions with this device (None: any device or none).
    device_code: str | None = Field(default=None, max_length=40)
    text: str = Field(max_length=2000)
    active: bool = Field(default=True)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
