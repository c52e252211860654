from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from needleplan.kit.statuses import NumbingSource
from needleplan.models._columns import created_at_field, id_field, instant_field, status_field


class Hold(SQLModel, table=True):
    """A slot reserved for a few minutes while an integration finishes its checkout."""

    __tablename__ = "holds"

    id: str = id_field()
    client_id: str = Field(foreign_key="clients.id", max_length=36)
    provider_id: str = Field(foreign_key="providers.id", max_length=36)
    room_id: str = Field(foreign_key="rooms.id", max_length=36)
    location_id: str = Field(foreign_key="locations.id", max_length=36)
    areas: list[str] = Field(sa_column=Column(JSON, nullable=False))
    intensity: str = Field(max_length=20)
    numbing: bool
    numbing_source: NumbingSource = status_field(
        NumbingSource, default=NumbingSource.request, server_default=NumbingSource.request.value
    )
    # The device whose minutes the duration came from (devices.code), or None for the areas' own.
    device_code: str | None = Field(default=None, max_length=40)
    starts_at: datetime = instant_field()
    ends_at: datetime = instant_field()
    expires_at: datetime = instant_field()
    released_at: datetime | None = instant_field(nullable=True)
    session_id: str | None = Field(default=None, max_length=36)
    created_by_key_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = created_at_field()
