from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field, instant_field, version_field


class Provider(SQLModel, table=True):
    """A licensed practitioner. Treats one client at a time."""

    __tablename__ = "providers"

    id: str = id_field()
    name: str = Field(max_length=200)
    profession: str = Field(max_length=40)
    active: bool = Field(default=True)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
