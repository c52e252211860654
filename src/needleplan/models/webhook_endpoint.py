from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, id_field, instant_field, version_field


class WebhookEndpoint(SQLModel, table=True):
    """Where events are POSTed (webhooks/). ``secret`` is stored as is: signing needs it back
    (docs/operations.md#webhooks); ``previous_secret`` signs too until ``previous_expires_at``."""

    __tablename__ = "webhook_endpoints"

    id: str = id_field()
    url: str = Field(max_length=2000)
    event_types: list[str] = Field(sa_column=Column(JSON(), nullable=False))
    description: str = Field(default="", max_length=500)
    role: str = Field(max_length=20)
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=500)
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_expires_at: datetime | None = instant_field(nullable=True)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)

    def types(self) -> list[str]:
        value: Any = self.event_types
        return list(value)
