from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from needleplan.kit.statuses import NumbingSource, SessionStatus
from needleplan.models._columns import (
    created_at_field,
    id_field,
    instant_field,
    status_field,
    version_field,
)


class TreatmentSession(SQLModel, table=True):
    """A booked appointment. Its minutes are fixed when booked, so a later catalogue edit never
    changes a session already in the calendar."""

    __tablename__ = "treatment_sessions"
    __table_args__ = (
        Index("ix_treatment_sessions_starts_at_id", "starts_at", "id"),
        Index("ix_treatment_sessions_provider_id_starts_at", "provider_id", "starts_at"),
        Index("ix_treatment_sessions_room_id_starts_at", "room_id", "starts_at"),
        Index("ix_treatment_sessions_client_id_starts_at", "client_id", "starts_at"),
        # A plan's course in order, in one range (migration 0014).
        Index("ix_treatment_sessions_plan_id_starts_at_id", "plan_id", "starts_at", "id"),
    )

    id: str = id_field()
    client_id: str = Field(foreign_key="clients.id", max_length=36)
    provider_id: str = Field(foreign_key="providers.id", max_length=36)
    room_id: str = Field(foreign_key="rooms.id", max_length=36)
    location_id: str = Field(foreign_key="locations.id", max_length=36)
    areas: list[str] = Field(sa_column=Column(JSON, nullable=False))
    intensity: str = Field(max_length=20)
    numbing: bool
    numbing_minutes: int
    numbing_source: NumbingSource = status_field(
        NumbingSource, default=NumbingSource.request, server_default=NumbingSource.request.value
    )
    # The device whose minutes the duration came from (devices.code), or None for the areas' own.
    device_code: str | None = Field(default=None, max_length=40)
    treatment_minutes: int
    turnover_minutes: int
    starts_at: datetime = instant_field()
    ends_at: datetime = instant_field()
    status: SessionStatus = status_field(SessionStatus)
    cancel_reason: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=5000)
    hold_id: str | None = Field(default=None, max_length=36)
    plan_id: str | None = Field(default=None, foreign_key="treatment_plans.id", max_length=36)
    needs_reschedule: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    interval_override_reason: str | None = Field(default=None, max_length=2000)
    # When needs_reschedule: the local dates of the window the session should move into.
    window_earliest_date: date | None = None
    window_latest_date: date | None = None
    created_by_key_id: str | None = Field(default=None, max_length=36)
    version: int = version_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = instant_field(nullable=True)
