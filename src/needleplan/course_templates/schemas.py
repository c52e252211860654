from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import AliasChoices, Field, model_validator

from needleplan.durations.quote import Intensity
from needleplan.kit.codes import code_field
from needleplan.kit.models import (
    AsSent,
    JsonBool,
    JsonInteger,
    RequestModel,
    ResponseModel,
    omitted,
)
from needleplan.sessions.schemas import Areas

TemplateCode = Annotated[str, code_field("acne_scars")]
DeviceCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        examples=["pen"],
        description="A device code of `/v1/devices`; unknown or inactive is a 422.",
    ),
    AsSent(),
]
# The bounds of a plan's (plans/schemas.py): a template fills a plan, so it must fit one.
SessionsPlanned = Annotated[int, Field(ge=1, le=12), JsonInteger()]
IntervalDays = Annotated[int, Field(ge=1, le=365), JsonInteger()]
Name = Annotated[str, Field(min_length=1, max_length=200), AsSent()]


class CourseTemplateCreate(RequestModel):
    code: Annotated[TemplateCode, AsSent()]
    name: Name = Field(examples=["Acne scarring"])
    indication: Name = Field(examples=["acne scars"])
    areas: Areas
    intensity: Intensity = Intensity.standard
    device: DeviceCode | None = None
    sessions_planned: SessionsPlanned = Field(examples=[4])
    interval_min_days: IntervalDays = Field(examples=[28])
    interval_max_days: IntervalDays = Field(examples=[42])
    numbing: JsonBool
    active: JsonBool = True

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.interval_min_days > self.interval_max_days:
            raise ValueError("interval_min_days must not exceed interval_max_days")
        return self


class CourseTemplateUpdate(RequestModel):
    name: Name = omitted()
    indication: Name = omitted()
    areas: Areas = omitted()
    intensity: Intensity = omitted()
    device: DeviceCode | None = Field(default=None, description="null: no device.")
    sessions_planned: SessionsPlanned = omitted()
    interval_min_days: IntervalDays = omitted()
    interval_max_days: IntervalDays = omitted()
    numbing: JsonBool = omitted()
    active: JsonBool = omitted()


class CourseTemplateRead(ResponseModel):
    code: str
    name: str
    indication: str
    areas: list[str]
    intensity: Intensity
    # The row's column is device_code; the API calls it device, as plans and bookings do.
    device: str | None = Field(validation_alias=AliasChoices("device_code", "device"))
    sessions_planned: int
    interval_min_days: int
    interval_max_days: int
    numbing: bool
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime | None


class CourseTemplatePage(ResponseModel):
    items: list[CourseTemplateRead]
    next_cursor: str | None
