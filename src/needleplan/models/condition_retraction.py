from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field


class ConditionRetraction(SQLModel, table=True):
    """A clinician's correction: a condition recorded before this moment no longer applies."""

    __tablename__ = "condition_retractions"

    id: str = id_field()
    client_id: str = Field(foreign_key="clients.id", max_length=36, index=True)
    condition_code: str = Field(max_length=60)
    reason: str = Field(max_length=2000)
    created_by_key_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = created_at_field()
