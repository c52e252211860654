from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Self

from pydantic import Field, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from needleplan.kit.codes import CODE_PATTERN, code_field
from needleplan.kit.models import (
    AsSent,
    JsonBool,
    JsonInteger,
    RequestModel,
    ResponseModel,
    omitted,
)

# The treatment-area catalogue's own bounds (treatment_areas/schemas.py, a neighbour this
# package does not import): a device's minutes replace an area's, so they obey the same.
AreaCode = Annotated[str, code_field("full_face")]
Minutes = Annotated[int, Field(ge=5, le=480), JsonInteger()]
Name = Annotated[str, Field(min_length=1, max_length=200), AsSent()]

DeviceCode = Annotated[
    str,
    code_field(
        "rf_microneedling", "A device's stable key: lower-case letters, digits and underscores."
    ),
]


class AreaMinutes(RequestModel):
    """A device's treatment minutes on one area: they replace the area's own."""

    min_minutes: Minutes = Field(examples=[45])
    max_minutes: Minutes = Field(examples=[75])

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_minutes > self.max_minutes:
            raise ValueError("min_minutes must not exceed max_minutes")
        return self


@dataclass(frozen=True)
class _OnlyAreaCodes:
    """pydantic states the key pattern as patternProperties, which lets any other key through
    and which common client generators ignore (they would make a closed, empty object). The
    document says it their way: every value is an AreaMinutes (``additionalProperties``) and
    every key an area code (``propertyNames``), as strict as the model."""

    def __get_pydantic_json_schema__(
        self, core: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core)
        patterns = schema.pop("patternProperties", {})
        values = next(iter(patterns.values()), None)
        if values is not None:
            schema["additionalProperties"] = values
        schema.setdefault("propertyNames", {})["pattern"] = CODE_PATTERN
        return schema


AreaMinutesMap = Annotated[
    dict[AreaCode, AreaMinutes],
    Field(
        max_length=200,
        examples=[{"full_face": {"min_minutes": 45, "max_minutes": 75}}],
        description="Per treatment-area code, the minutes that replace the area's own with this "
        "device; an area not named keeps its own minutes.",
    ),
    _OnlyAreaCodes(),
]


class DeviceCreate(RequestModel):
    code: Annotated[DeviceCode, AsSent()]
    name: Name = Field(examples=["RF microneedling"])
    area_minutes: AreaMinutesMap = Field(default_factory=dict)
    active: JsonBool = True


class DeviceUpdate(RequestModel):
    name: Name = omitted()
    area_minutes: AreaMinutesMap = omitted()
    active: JsonBool = omitted()


class AreaMinutesRead(ResponseModel):
    min_minutes: int
    max_minutes: int


class DeviceRead(ResponseModel):
    code: str
    name: str
    area_minutes: dict[str, AreaMinutesRead]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime | None


class DevicePage(ResponseModel):
    items: list[DeviceRead]
    next_cursor: str | None
