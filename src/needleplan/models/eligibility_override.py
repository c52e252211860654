from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field


class EligibilityOverride(SQLModel, table=True):
    """A clinician's written acceptance of listed blocking reasons or cautions, until a date."""

    __tablename__ = "eligibility_overrides"

    id: str = id_field()
    client_id: str = Field(foreign_key="clients.id", max_length=36, index=True)
    codes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    reason: str = Field(max_length=2000)
    expires_on: date
    created_by_key_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = created_at_field()
