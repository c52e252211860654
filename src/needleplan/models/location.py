from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field, instant_field, version_field


class Location(SQLModel, table=True):
    __tablename__ = "locations"

    id: str = id_field()
    name: str = Field(max_length=200)
    time_zone: str = Field(max_length=64)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
