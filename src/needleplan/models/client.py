from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from needleplan.kit.statuses import NumbingPreference
from needleplan.models._columns import (
    created_at_field,
    id_field,
    instant_field,
    status_field,
    version_field,
)


class Client(SQLModel, table=True):
    """A clinic's client. Every column except ids and timestamps is patient data."""

    __tablename__ = "clients"

    id: str = id_field()
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    date_of_birth: date
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    notes: str | None = Field(default=None, max_length=5000)
    numbing_preference: NumbingPreference = status_field(
        NumbingPreference, default=NumbingPreference.ask, server_default=NumbingPreference.ask.value
    )
    # Clinician-readable only; never in an integration's events, never in a log line.
    comfort_notes: str | None = Field(default=None, max_length=2000)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
