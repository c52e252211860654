from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field


class Screening(SQLModel, table=True):
    """A dated safety questionnaire. Never edited or deleted: a new one supersedes it."""

    __tablename__ = "screenings"
    __table_args__ = (Index("ix_screenings_client_id_screened_on", "client_id", "screened_on"),)

    id: str = id_field()
    client_id: str = Field(foreign_key="clients.id", max_length=36)
    screened_on: date
    conditions: list[str] = Field(sa_column=Column(JSON, nullable=False))
    medications: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=5000)
    recorded_by_key_id: str | None = Field(default=None, max_length=36)
    recorded_at: datetime = created_at_field()
