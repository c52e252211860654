from __future__ import annotations

from typing import Annotated

from pydantic import Field

from needleplan.devices.schemas import DeviceCode
from needleplan.durations.quote import Intensity, Resource, SegmentKind
from needleplan.kit.models import AsSent, JsonBool, RequestModel, ResponseModel
from needleplan.treatment_areas.schemas import AreaCode


class DurationQuoteRequest(RequestModel):
    areas: list[AreaCode] = Field(
        min_length=1,
        max_length=20,
        examples=[["full_face", "neck"]],
        description="Area codes, each once.",
    )
    intensity: Intensity = Intensity.standard
    numbing: JsonBool | None = Field(
        default=None,
        description="Apply numbing cream before the treatment. Left out: the `client_id`'s "
        "`numbing_preference` (`always`/`never`; `ask` is a 422 naming `numbing`); without "
        "`client_id`, no numbing.",
    )
    client_id: Annotated[str, Field(min_length=1, max_length=36), AsSent()] | None = Field(
        default=None, description="The client the quote is for: decides a left-out `numbing`."
    )
    device: DeviceCode | None = Field(
        default=None,
        description="A device code: its minutes replace the areas' own where it names them.",
    )


class SegmentRead(ResponseModel):
    kind: SegmentKind
    offset_minutes: int = Field(description="Minutes from the session's start.")
    minutes: int
    busy: list[Resource] = Field(description="Who is busy during this segment.")


class DurationQuoteRead(ResponseModel):
    areas: list[str]
    intensity: Intensity
    device: str | None = Field(description="The device quoted for, or null.")
    treatment_minutes: int
    numbing_minutes: int
    turnover_minutes: int
    total_minutes: int
    segments: list[SegmentRead]
