from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, instant_field, version_field


class Device(SQLModel, table=True):
    """A treatment device (docs/domain.md#devices). ``area_minutes`` maps an area code to
    ``{"min_minutes", "max_minutes"}`` and overrides the area's own minutes where given."""

    __tablename__ = "devices"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    area_minutes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    active: bool = Field(default=True)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
