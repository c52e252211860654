from __future__ import annotations

from datetime import datetime

from needleplan.durations.quote import Intensity
from needleplan.kit.models import ResponseModel
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
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    status: HoldStatus
    session_id: str | None
