from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from needleplan.kit.codes import code_field
from needleplan.kit.models import AsSent, JsonInteger, RequestModel, ResponseModel, omitted

AreaCode = Annotated[str, code_field("full_face")]
Minutes = Annotated[int, Field(ge=5, le=480), JsonInteger()]
Name = Annotated[str, Field(min_length=1, max_length=200), AsSent()]


class AreaCategory(StrEnum):
    small = "small"
    face = "face"
    body = "body"


class TreatmentAreaCreate(RequestModel):
    code: Annotated[AreaCode, AsSent()]
    name: Name = Field(examples=["Full face"])
    category: AreaCategory
    min_minutes: Minutes = Field(examples=[30])
    max_minutes: Minutes = Field(examples=[45])

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_minutes > self.max_minutes:
            raise ValueError("min_minutes must not exceed max_minutes")
        return self


class TreatmentAreaUpdate(RequestModel):
    name: Name = omitted()
    category: AreaCategory = omitted()
    min_minutes: Minutes = omitted()
    max_minutes: Minutes = omitted()


class TreatmentAreaRead(ResponseModel):
    code: str
    name: str
    category: AreaCategory
    min_minutes: int
    max_minutes: int
    version: int
    created_at: datetime
    updated_at: datetime | None


class TreatmentAreaPage(ResponseModel):
    items: list[TreatmentAreaRead]
    next_cursor: str | None
