from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from needleplan.kit.models import JsonBool, RequestModel, ResponseModel, Text

Scope = Literal["provider", "room", "location", "client"]


class CalendarFeedCreate(RequestModel):
    scope: Scope = Field(description="Whose sessions the feed shows.")
    id: Text = Field(max_length=36, description="The provider, room, location or client.")
    include_client_names: JsonBool = Field(
        default=False,
        description="Name the client in each event's summary (clinician or admin only).",
    )


class CalendarFeedRead(ResponseModel):
    id: str
    scope: Scope
    subject_id: str
    include_client_names: bool
    created_at: datetime


class CalendarFeedCreated(CalendarFeedRead):
    url: str = Field(
        description="The feed to subscribe to, `.../calendar/<token>.ics`; shown only here."
    )


class CalendarFeedPage(ResponseModel):
    items: list[CalendarFeedRead]
    next_cursor: str | None
