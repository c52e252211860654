from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from needleplan.models._columns import created_at_field, instant_field, version_field


class CourseTemplate(SQLModel, table=True):
    """A course a clinic offers for an indication (docs/domain.md#course-templates): what a
    treatment plan made from it starts with."""

    __tablename__ = "course_templates"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    indication: str = Field(max_length=200)
    areas: list[str] = Field(sa_column=Column(JSON, nullable=False))
    intensity: str = Field(max_length=20)
    device_code: str | None = Field(default=None, max_length=40)
    sessions_planned: int
    interval_min_days: int
    interval_max_days: int
    numbing: bool
    active: bool = Field(default=True)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
