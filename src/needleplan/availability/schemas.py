from __future__ import annotations

from datetime import datetime

from pydantic import Field

from needleplan.kit.models import ResponseModel


class AvailableSlot(ResponseModel):
    starts_at: datetime
    ends_at: datetime = Field(description="When the client would leave (end of the treatment).")
    provider_id: str
    room_id: str


class Availability(ResponseModel):
    time_zone: str
    slots: list[AvailableSlot]
