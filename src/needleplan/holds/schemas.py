from __future__ import annotations

from datetime import datetime

from pydantic import Field

from needleplan.durations.quote import Intensity
from needleplan.kit.models import ResponseModel
from needleplan.kit.statuses import NumbingSource
from needleplan.sessions.lifecycle import HoldStatus
from needleplan.sessions.schemas import BookingFields


class HoldCreate(BookingFields):
    pass


class HoldRead(ResponseModel):
    id: str
    client_id: str
    provider_id: str
    room_id: str
    location_id: str
    areas: list[str]
    intensity: Intensity
    numbing: bool
    numbing_source: NumbingSource = Field(
        description="Where `numbing` came from: the request or the client's preference."
    )
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    status: HoldStatus
    device: str | None = Field(description="The device held for (its code), or null.")
    session_id: str | None
