from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from needleplan.kit.models import AsSent, JsonBool, RequestModel, ResponseModel, Text, omitted

Name = Annotated[str, Field(min_length=1, max_length=200, examples=["Room 1"]), AsSent()]


class RoomCreate(RequestModel):
    location_id: Text = Field(max_length=36)
    name: Name
    active: JsonBool = True


class RoomUpdate(RequestModel):
    name: Name = omitted()
    active: JsonBool = omitted()


class RoomRead(ResponseModel):
    id: str
    location_id: str
    name: str
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime | None


class RoomPage(ResponseModel):
    items: list[RoomRead]
    next_cursor: str | None
