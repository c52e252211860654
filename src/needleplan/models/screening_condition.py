from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, instant_field, version_field


class ScreeningCondition(SQLModel, table=True):
    """A condition a screening can record: a contraindication (blocks) or a caution (flags)."""

    __tablename__ = "screening_conditions"

    code: str = Field(primary_key=True, max_length=60)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    temporary: bool = Field(default=False)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
