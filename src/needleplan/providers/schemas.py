from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, Field, PlainSerializer, WithJsonSchema, model_validator

from needleplan.kit.models import (
    AsSent,
    JsonBool,
    JsonTime,
    RequestModel,
    ResponseModel,
    Text,
    omitted,
)
from needleplan.kit.time import Instant, UtcInstant

Name = Annotated[str, Field(min_length=1, max_length=200, examples=["Dr. Mira Hoffmann"]), AsSent()]


class Profession(StrEnum):
    dermatologist = "dermatologist"
    physician = "physician"
    nurse = "nurse"
    aesthetician = "aesthetician"
    other = "other"


class Weekday(StrEnum):
    monday = "monday"
    tuesday = "tuesday"
    wednesday = "wednesday"
    thursday = "thursday"
    friday = "friday"
    saturday = "saturday"
    sunday = "sunday"

    @property
    def iso(self) -> int:
        return list(Weekday).index(self) + 1

    @classmethod
    def from_iso(cls, number: int) -> Weekday:
        return list(Weekday)[number - 1]


def _wall_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError(
            "a working-plan time is local wall time in the location's zone; send it without an offset"
        )
    if value.second or value.microsecond:
        raise ValueError("working-plan times are whole minutes (HH:MM)")
    return value


WallTime = Annotated[
    JsonTime,
    AfterValidator(_wall_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    # Local wall time without an offset; OpenAPI's "format: time" would demand one.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:00)?$",
            "examples": ["09:00"],
        }
    ),
]


class ProviderCreate(RequestModel):
    name: Name
    profession: Profession
    active: JsonBool = True


class ProviderUpdate(RequestModel):
    name: Name = omitted()
    profession: Profession = omitted()
    active: JsonBool = omitted()


class ProviderRead(ResponseModel):
    id: str
    name: str
    profession: Profession
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime | None


class ProviderPage(ResponseModel):
    items: list[ProviderRead]
    next_cursor: str | None


class WorkingInterval(RequestModel):
    location_id: Text = Field(max_length=36)
    weekday: Weekday
    start_time: WallTime
    end_time: WallTime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time (intervals do not cross midnight)")
        return self


class WorkingPlan(RequestModel):
    intervals: list[WorkingInterval] = Field(
        max_length=200,
        description="The whole weekly plan; PUT replaces it. Intervals of a day may touch but not overlap.",
    )


class WorkingIntervalRead(ResponseModel):
    location_id: str
    weekday: Weekday
    start_time: str = Field(examples=["09:00"], description="Local wall time, HH:MM.")
    end_time: str = Field(examples=["17:00"], description="Local wall time, HH:MM.")


class WorkingPlanRead(ResponseModel):
    provider_id: str
    intervals: list[WorkingIntervalRead]


class ExceptionKind(StrEnum):
    time_off = "time_off"
    extra_hours = "extra_hours"


class ProviderExceptionCreate(RequestModel):
    kind: ExceptionKind
    starts_at: Instant
    ends_at: Instant
    location_id: Annotated[str, Field(max_length=36), AsSent()] | None = Field(
        default=None, description="Required for extra_hours: where the provider works."
    )
    reason: Annotated[str, Field(max_length=500), AsSent()] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.kind is ExceptionKind.extra_hours and self.location_id is None:
            raise ValueError("extra_hours needs a location_id")
        return self


class ProviderExceptionRead(ResponseModel):
    id: str
    provider_id: str
    kind: ExceptionKind
    starts_at: UtcInstant
    ends_at: UtcInstant
    location_id: str | None
    reason: str | None
    created_at: datetime


class ProviderExceptionPage(ResponseModel):
    items: list[ProviderExceptionRead]
    next_cursor: str | None
