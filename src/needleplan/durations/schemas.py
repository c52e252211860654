from __future__ import annotations

from pydantic import Field

from needleplan.durations.quote import Intensity, Resource, SegmentKind
from needleplan.kit.models import JsonBool, RequestModel, ResponseModel
from needleplan.treatment_areas.schemas import AreaCode


class DurationQuoteRequest(RequestModel):
    areas: list[AreaCode] = Field(
        min_length=1,
        max_length=20,
        examples=[["full_face", "neck"]],
        description="Area codes, each once.",
    )
    intensity: Intensity = Intensity.standard
    numbing: JsonBool = Field(
        default=False, description="Apply numbing cream before the treatment."
    )


class SegmentRead(ResponseModel):
    kind: SegmentKind
    offset_minutes: int = Field(description="Minutes from the session's start.")
    minutes: int
    busy: list[Resource] = Field(description="Who is busy during this segment.")


class DurationQuoteRead(ResponseModel):
    areas: list[str]
    intensity: Intensity
    treatment_minutes: int
    numbing_minutes: int
    turnover_minutes: int
    total_minutes: int
    segments: list[SegmentRead]
