from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field


class AuditEvent(SQLModel, table=True):
    """Who changed what and when; written in the same transaction as the change."""

    __tablename__ = "audit_events"

    id: str = id_field()
    api_key_id: str | None = Field(default=None, max_length=36, index=True)
    action: str = Field(max_length=40)
    resource: str = Field(max_length=40)
    resource_id: str = Field(max_length=64, index=True)
    occurred_at: datetime = created_at_field()
