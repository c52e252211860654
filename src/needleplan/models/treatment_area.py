from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, instant_field, version_field


class TreatmentArea(SQLModel, table=True):
    """A catalogue entry; ``code`` is the stable key that quotes and bookings refer to."""

    __tablename__ = "treatment_areas"
    __table_args__ = (
        CheckConstraint(
            "min_minutes >= 5 AND min_minutes <= max_minutes AND max_minutes <= 480",
            name="minutes_range",
        ),
    )

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    category: str = Field(max_length=10)
    min_minutes: int
    max_minutes: int
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
