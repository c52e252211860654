from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from needleplan.kit.statuses import PlanStatus
from needleplan.models._columns import (
    created_at_field,
    id_field,
    instant_field,
    status_field,
    version_field,
)


class TreatmentPlan(SQLModel, table=True):
    """A course of sessions for one client, spaced by a follow-up window
    (docs/domain.md#treatment-plans)."""

    __tablename__ = "treatment_plans"

    id: str = id_field()
    client_id: str = Field(foreign_key="clients.id", max_length=36, index=True)
    location_id: str = Field(foreign_key="locations.id", max_length=36)
    provider_id: str | None = Field(default=None, foreign_key="providers.id", max_length=36)
    areas: list[str] = Field(sa_column=Column(JSON, nullable=False))
    intensity: str = Field(max_length=20)
    numbing: bool
    device_code: str | None = Field(default=None, max_length=40)
    # The course template (course_templates.code) the plan was made from, if any.
    template: str | None = Field(default=None, max_length=40)
    sessions_planned: int
    min_interval_days: int
    max_interval_days: int
    status: PlanStatus = status_field(PlanStatus, index=True)
    notes: str | None = Field(default=None, max_length=5000)
    completed_at: datetime | None = instant_field(nullable=True)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
