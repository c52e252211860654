from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from needleplan.kit.codes import code_field
from needleplan.kit.models import (
    AsSent,
    JsonBool,
    JsonInteger,
    RequestModel,
    ResponseModel,
    omitted,
)
from needleplan.kit.statuses import NoticeAnchor, NoticeKind, NoticeState
from needleplan.treatment_areas.schemas import AreaCode

# A notice falls due at most 30 days before or after its anchor.
MAX_OFFSET_MINUTES = 30 * 24 * 60

NoticeCode = Annotated[str, code_field("reminder_24h")]
OffsetMinutes = Annotated[
    int,
    Field(
        ge=-MAX_OFFSET_MINUTES,
        le=MAX_OFFSET_MINUTES,
        examples=[-1440],
        description="Minutes from the anchor to the due time; negative: before it. At most 30 "
        "days (43,200 minutes) either way.",
    ),
    JsonInteger(),
]
AreaFilter = Annotated[
    list[AreaCode],
    Field(
        min_length=1,
        max_length=20,
        examples=[["full_face", "neck"]],
        description="Only sessions treating at least one of these treatment areas; null or "
        "left out: any area.",
    ),
]
DeviceFilter = Annotated[
    str,
    code_field(
        "rf_microneedling",
        "Only sessions booked with this device (a device code); null or left out: "
        "any device or none.",
    ),
    AsSent(),
]
NoticeText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        examples=["Your micro-needling session is tomorrow."],
        description="What the client is told; carried by the `session.notice_due` event.",
    ),
    AsSent(),
]


class CareNoticeCreate(RequestModel):
    code: Annotated[NoticeCode, AsSent()]
    kind: NoticeKind
    anchor: NoticeAnchor
    offset_minutes: OffsetMinutes
    areas: AreaFilter | None = None
    device: DeviceFilter | None = None
    text: NoticeText
    active: JsonBool = True


class CareNoticeUpdate(RequestModel):
    kind: NoticeKind = omitted()
    anchor: NoticeAnchor = omitted()
    offset_minutes: OffsetMinutes = omitted()
    areas: AreaFilter | None = None
    device: DeviceFilter | None = None
    text: NoticeText = omitted()
    active: JsonBool = omitted()


class CareNoticeRead(ResponseModel):
    code: str
    kind: NoticeKind
    anchor: NoticeAnchor
    offset_minutes: int
    areas: list[str] | None
    device: str | None
    text: str
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime | None


class CareNoticePage(ResponseModel):
    items: list[CareNoticeRead]
    next_cursor: str | None


class SessionNoticeRead(ResponseModel):
    code: str = Field(description="The care notice (template) this notice is of.")
    kind: NoticeKind
    due_at: datetime = Field(description="When it falls due, in the location's offset.")
    state: NoticeState = Field(
        description="`scheduled` (waiting), `emitted` (`session.notice_due` was sent) or "
        "`cancelled` (the session was cancelled or moved past it, or the notice was switched "
        "off)."
    )
    text: str = Field(description="The care notice's text as it reads now.")
    session_version: int = Field(description="The session version the due time is computed for.")
    emitted_at: datetime | None


class SessionNoticePage(ResponseModel):
    items: list[SessionNoticeRead]
    next_cursor: str | None
