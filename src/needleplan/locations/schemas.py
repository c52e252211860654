from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from needleplan.kit.models import AsSent, RequestModel, ResponseModel, omitted
from needleplan.kit.zones import check_time_zone

Name = Annotated[str, Field(min_length=1, max_length=200), AsSent()]
TimeZone = Annotated[
    str,
    Field(
        min_length=1, max_length=64, examples=["Europe/Berlin"], description="IANA time-zone name."
    ),
    AsSent(),
    AfterValidator(check_time_zone),
]


class LocationCreate(RequestModel):
    name: Name = Field(examples=["Berlin Mitte"])
    time_zone: TimeZone


class LocationUpdate(RequestModel):
    name: Name = omitted()
    time_zone: TimeZone = omitted()


class LocationRead(ResponseModel):
    id: str
    name: str
    time_zone: str
    version: int
    created_at: datetime
    updated_at: datetime | None


class LocationPage(ResponseModel):
    items: list[LocationRead]
    next_cursor: str | None
