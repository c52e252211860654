from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from needleplan.models._columns import (
    codes_field,
    created_at_field,
    id_field,
    instant_field,
    version_field,
)


class Room(SQLModel, table=True):
    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("location_id", "name"),)

    id: str = id_field()
    location_id: str = Field(foreign_key="locations.id", max_length=36, index=True)
    name: str = Field(max_length=200)
    active: bool = Field(default=True)
    # The devices the room holds (devices.code): a booking naming a device needs one of these.
    device_codes: list[str] = codes_field()
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
