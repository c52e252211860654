from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field, instant_field


class ProviderException(SQLModel, table=True):
    """A dated change to the weekly plan: time off, or extra hours at a location."""

    __tablename__ = "provider_exceptions"

    id: str = id_field()
    provider_id: str = Field(foreign_key="providers.id", max_length=36, index=True)
    kind: str = Field(max_length=20)
    location_id: str | None = Field(default=None, foreign_key="locations.id", max_length=36)
    starts_at: datetime = instant_field()
    ends_at: datetime = instant_field()
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
