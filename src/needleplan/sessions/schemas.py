from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from needleplan.devices.schemas import DeviceCode
from needleplan.durations.quote import Intensity, Resource, SegmentKind
from needleplan.kit.models import AsSent, JsonBool, RequestModel, ResponseModel, Text, omitted
from needleplan.kit.statuses import NumbingSource
from needleplan.kit.time import Instant
from needleplan.sessions.lifecycle import SessionStatus
from needleplan.treatment_areas.schemas import AreaCode

Id = Annotated[str, Field(min_length=1, max_length=36), AsSent()]
Areas = Annotated[list[AreaCode], Field(min_length=1, max_length=20, examples=[["full_face"]])]


class BookingFields(RequestModel):
    """What a session or a hold asks the booking engine for."""

    client_id: Id
    provider_id: Id
    room_id: Id
    location_id: Id
    areas: Areas
    intensity: Intensity = Intensity.standard
    numbing: JsonBool | None = Field(
        default=None,
        description="Apply numbing cream first. Left out: a plan's booking takes the plan's; "
        "else the client's `numbing_preference` (`always`/`never`); with `ask`, a 422 naming "
        "`numbing` (docs/domain.md#comfort).",
    )
    starts_at: Instant = Field(
        examples=["2027-03-09T10:00:00+01:00"],
        description="When the client's appointment starts (numbing first, when asked).",
    )
    device: DeviceCode | None = Field(
        default=None,
        description="The device used (a device code): its minutes replace the areas' own where "
        "it names them, and the room must hold it (422 `device-not-in-room`). Left out: a "
        "plan's booking takes the plan's device, else none (docs/domain.md#devices).",
    )


OverrideReason = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="Clinicians and admins: accept a plan session outside its follow-up window.",
    ),
    AsSent(),
]
Notes = Annotated[str, Field(max_length=5000), AsSent()]


class SessionCreate(BookingFields):
    hold_id: Id | None = Field(default=None, description="Convert this hold into the session.")
    plan_id: Id | None = Field(default=None, description="Book the plan's next session.")
    override_reason: OverrideReason | None = None
    notes: Notes | None = None


class SessionReschedule(RequestModel):
    starts_at: Instant = omitted()
    provider_id: Id = omitted()
    room_id: Id = omitted()
    override_reason: OverrideReason | None = None
    notes: Notes | None = None


class CancelRequest(RequestModel):
    reason: Text = Field(min_length=1, max_length=2000, examples=["Client called: flu."])


class SessionSegmentRead(ResponseModel):
    kind: SegmentKind
    starts_at: datetime
    ends_at: datetime
    busy: list[Resource]


class CautionRead(ResponseModel):
    code: str
    acknowledged: bool = Field(description="Whether a clinician's override covers it.")


class RescheduleWindow(ResponseModel):
    earliest_date: date
    latest_date: date


class SessionRead(ResponseModel):
    id: str
    client_id: str
    provider_id: str
    room_id: str
    location_id: str
    areas: list[str]
    intensity: Intensity
    numbing: bool
    numbing_source: NumbingSource = Field(
        description="Where `numbing` came from: the request, the plan, or the client's preference."
    )
    starts_at: datetime
    ends_at: datetime = Field(description="When the client leaves: the end of the treatment.")
    status: SessionStatus
    device: str | None = Field(description="The device booked (its code), or null.")
    version: int
    segments: list[SessionSegmentRead]
    screening_due: bool = Field(
        description="No screening valid on the session's date yet: screen the client before treating."
    )
    cautions: list[CautionRead] | None = Field(
        description="Cautions from the client's screening (not shown to integration keys)."
    )
    cancel_reason: str | None
    notes: str | None
    hold_id: str | None
    plan_id: str | None
    needs_reschedule: bool = Field(
        description="An earlier session of the plan moved: this one is now outside its window."
    )
    reschedule_window: RescheduleWindow | None = Field(
        description="The local dates the session should move into, when it needs rescheduling."
    )
    created_at: datetime
    updated_at: datetime | None


class SessionPage(ResponseModel):
    items: list[SessionRead]
    next_cursor: str | None


class SessionMoveRead(ResponseModel):
    id: str
    from_starts_at: datetime
    to_starts_at: datetime
    from_provider_id: str
    to_provider_id: str
    from_room_id: str
    to_room_id: str
    moved_by_key_id: str | None
    moved_at: datetime


class SessionMovePage(ResponseModel):
    items: list[SessionMoveRead]
    next_cursor: str | None


class DaySchedule(ResponseModel):
    date: date
    time_zone: str
    starts_at: datetime = Field(description="The local day's first instant.")
    ends_at: datetime = Field(description="The next local day's first instant.")
    sessions: list[SessionRead]
