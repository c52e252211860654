from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from needleplan.kit.models import AsSent, JsonBool, RequestModel, ResponseModel, Text, omitted

Name = Annotated[str, Field(min_length=1, max_length=200, examples=["Room 1"]), AsSent()]
DeviceCodes = Annotated[
    list[Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]],
    Field(
        max_length=50,
        examples=[["microneedling_pen", "rf_microneedling"]],
        description="The devices the room holds (device codes, each once): a booking naming a "
        "device takes only a room that holds it.",
    ),
]


class RoomCreate(RequestModel):
    location_id: Text = Field(max_length=36)
    name: Name
    active: JsonBool = True
    device_codes: DeviceCodes = Field(default_factory=list)


class RoomUpdate(RequestModel):
    name: Name = omitted()
    active: JsonBool = omitted()
    device_codes: DeviceCodes = omitted()


class RoomRead(ResponseModel):
    id: str
    location_id: str
    name: str
    active: bool
    device_codes: list[str]
    version: int
    created_at: datetime
    updated_at: datetime | None


class RoomPage(ResponseModel):
    items: list[RoomRead]
    next_cursor: str | None
