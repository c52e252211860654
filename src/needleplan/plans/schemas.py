from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import Field, model_validator

from needleplan.durations.quote import Intensity
from needleplan.kit.models import (
    JsonBool,
    JsonInt,
    JsonInteger,
    RequestModel,
    ResponseModel,
    omitted,
)
from needleplan.kit.statuses import PlanStatus as PlanStatus  # re-exported: plans name it here
from needleplan.kit.time import Instant
from needleplan.sessions.lifecycle import SessionStatus
from needleplan.sessions.schemas import Areas, Id, Notes, SessionRead

IntervalDays = Annotated[int, Field(ge=1, le=365), JsonInteger()]


class PlanCreate(RequestModel):
    client_id: Id
    location_id: Id
    provider_id: Id | None = Field(default=None, description="The preferred provider.")
    areas: Areas
    intensity: Intensity = Intensity.standard
    numbing: JsonBool = False
    sessions_planned: JsonInt = Field(default=3, ge=1, le=12)
    min_interval_days: IntervalDays | None = Field(default=None, description="Default: 28.")
    max_interval_days: IntervalDays | None = Field(default=None, description="Default: 42.")
    status: PlanStatus = Field(default=PlanStatus.active, description="active or draft.")
    notes: Notes | None = None

    @model_validator(mode="after")
    def _sensible(self) -> Self:
        if self.status not in (PlanStatus.active, PlanStatus.draft):
            raise ValueError("a plan is created active or draft")
        if (
            self.min_interval_days
            and self.max_interval_days
            and self.min_interval_days > self.max_interval_days
        ):
            raise ValueError("min_interval_days must not exceed max_interval_days")
        return self


class PlanUpdate(RequestModel):
    provider_id: Id | None = None
    areas: Areas = omitted()
    intensity: Intensity = omitted()
    numbing: JsonBool = omitted()
    sessions_planned: Annotated[int, Field(ge=1, le=12), JsonInteger()] = omitted()
    min_interval_days: IntervalDays = omitted()
    max_interval_days: IntervalDays = omitted()
    status: PlanStatus = omitted()
    notes: Notes | None = None


class WindowRead(ResponseModel):
    session_number: int
    earliest_date: date
    latest_date: date
    starts_at: datetime = Field(description="The first instant of earliest_date.")
    ends_at: datetime = Field(description="The first instant after latest_date.")


class PlanSessionRead(ResponseModel):
    id: str
    number: int | None = Field(description="k for the k-th counting session; null when cancelled.")
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    provider_id: str
    room_id: str
    needs_reschedule: bool


class PlanRead(ResponseModel):
    id: str
    client_id: str
    location_id: str
    provider_id: str | None
    areas: list[str]
    intensity: Intensity
    numbing: bool
    sessions_planned: int
    min_interval_days: int
    max_interval_days: int
    status: PlanStatus
    notes: str | None
    completed_at: datetime | None
    version: int
    sessions: list[PlanSessionRead]
    next_window: WindowRead | None
    created_at: datetime
    updated_at: datetime | None


class PlanPage(ResponseModel):
    items: list[PlanRead]
    next_cursor: str | None


class PlanCancelled(ResponseModel):
    plan: PlanRead
    booked_sessions: list[str] = Field(
        description="Sessions still booked: cancelling a plan cancels none of them."
    )


class SlotRead(ResponseModel):
    starts_at: datetime
    ends_at: datetime
    provider_id: str
    room_id: str


class NextSlots(ResponseModel):
    window: WindowRead | None
    slots: list[SlotRead]


class CourseProposalRequest(RequestModel):
    book: JsonBool = Field(
        default=False, description="Book every proposed session at once, or none."
    )
    starts_from: Instant | None = Field(
        default=None,
        alias="from",
        description="With no session yet: propose from here (default now).",
    )


class CourseProposal(ResponseModel):
    proposals: list[SlotRead]
    sessions: list[SessionRead] | None = Field(
        default=None, description="The booked sessions, with book: true."
    )
