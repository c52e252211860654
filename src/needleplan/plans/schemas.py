from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import Field, model_validator

from needleplan.course_templates.schemas import DeviceCode, TemplateCode
from needleplan.durations.quote import Intensity
from needleplan.kit.models import (
    AsSent,
    JsonBool,
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
SessionsPlanned = Annotated[int, Field(ge=1, le=12), JsonInteger()]


class PlanCreate(RequestModel):
    client_id: Id
    location_id: Id
    provider_id: Id | None = Field(default=None, description="The preferred provider.")
    template: Annotated[TemplateCode, AsSent()] | None = Field(
        default=None,
        description="A course template's code: it fills every field below the body leaves out "
        "(areas, intensity, device, sessions_planned, the interval days, numbing). Unknown or "
        "inactive: 422 naming `template`.",
    )
    areas: Areas | None = Field(default=None, description="Required without a template.")
    intensity: Intensity | None = Field(
        default=None, description="Default: the template's, else standard."
    )
    device: DeviceCode | None = Field(
        default=None, description="Default: the template's; null: no device."
    )
    numbing: JsonBool | None = Field(
        default=None,
        description="Default: the client's `numbing_preference` when `always` or `never`, "
        "else the template's; with `ask` and no template, a 422 naming `numbing`.",
    )
    sessions_planned: SessionsPlanned | None = Field(
        default=None, description="Default: the template's, else 3."
    )
    min_interval_days: IntervalDays | None = Field(
        default=None, description="Default: the template's interval_min_days, else 28."
    )
    max_interval_days: IntervalDays | None = Field(
        default=None, description="Default: the template's interval_max_days, else 42."
    )
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
    device: DeviceCode | None = Field(default=None, description="null: no device.")
    numbing: JsonBool = omitted()
    sessions_planned: SessionsPlanned = omitted()
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
    device: str | None = Field(description="The device code, or null.")
    numbing: bool
    sessions_planned: int
    min_interval_days: int
    max_interval_days: int
    template: str | None = Field(
        description="The course template the plan was made from (its figures were copied then)."
    )
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
