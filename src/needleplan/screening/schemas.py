from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field

from needleplan.kit.models import (
    AsSent,
    JsonBool,
    JsonDate,
    RequestModel,
    ResponseModel,
    Text,
    omitted,
)
from needleplan.kit.time import latest_today
from needleplan.screening.eligibility import ReasonKind, Status

ConditionCode = Annotated[
    str,
    Field(min_length=2, max_length=60, pattern=r"^[a-z][a-z0-9_]*$", examples=["sensitive_skin"]),
]
Reason = Annotated[str, Field(min_length=1, max_length=2000), AsSent()]


class ConditionKind(StrEnum):
    contraindication = "contraindication"
    caution = "caution"


def _not_in_future(value: date) -> date:
    if value > latest_today():
        raise ValueError("a screening cannot be dated in the future")
    if value.year < 1970:
        raise ValueError("the screening date must be 1970 or later")
    return value


def _plausible_expiry(value: date) -> date:
    if not (1970 <= value.year < 2200):
        raise ValueError("the expiry date must lie between 1970 and 2199")
    return value


class ScreeningConditionCreate(RequestModel):
    code: Annotated[ConditionCode, AsSent()]
    name: Text = Field(min_length=1, max_length=200)
    kind: ConditionKind
    temporary: JsonBool = Field(
        default=False,
        description="Counts only from the latest screening (e.g. active acne, sunburn).",
    )


class ScreeningConditionUpdate(RequestModel):
    name: Text = omitted()
    kind: ConditionKind = omitted()
    temporary: JsonBool = omitted()


class ScreeningConditionRead(ResponseModel):
    code: str
    name: str
    kind: ConditionKind
    temporary: bool
    version: int


class ScreeningConditionPage(ResponseModel):
    items: list[ScreeningConditionRead]
    next_cursor: str | None


class ScreeningCreate(RequestModel):
    screened_on: Annotated[JsonDate, AfterValidator(_not_in_future)] = Field(
        examples=["2026-12-01"]
    )
    conditions: list[ConditionCode] = Field(
        default_factory=list,
        max_length=50,
        description="Condition codes answered yes; empty when none.",
    )
    medications: Annotated[str, Field(max_length=2000), AsSent()] | None = None
    notes: Annotated[str, Field(max_length=5000), AsSent()] | None = None


class ScreeningRead(ResponseModel):
    id: str
    client_id: str
    screened_on: date
    conditions: list[str]
    medications: str | None
    notes: str | None
    recorded_by_key_id: str | None
    recorded_at: datetime


class ScreeningPage(ResponseModel):
    items: list[ScreeningRead]
    next_cursor: str | None


class OverrideCreate(RequestModel):
    reason: Reason = Field(examples=["Discussed with the client's haematologist; INR stable."])
    codes: list[ConditionCode] = Field(
        min_length=1,
        max_length=50,
        description="The reasons accepted: condition codes, screening_expired, under_age or no_screening.",
    )
    expires_on: Annotated[JsonDate, AfterValidator(_plausible_expiry)] = Field(
        description="The last date (inclusive) on which the override applies."
    )


class OverrideRead(ResponseModel):
    id: str
    client_id: str
    reason: str
    codes: list[str]
    expires_on: date
    created_by_key_id: str | None
    created_at: datetime


class OverridePage(ResponseModel):
    items: list[OverrideRead]
    next_cursor: str | None


class RetractionCreate(RequestModel):
    code: Annotated[ConditionCode, AsSent()]
    reason: Reason


class RetractionRead(ResponseModel):
    id: str
    client_id: str
    condition_code: str
    reason: str
    created_by_key_id: str | None
    created_at: datetime


class AcceptedBy(ResponseModel):
    override_id: str
    created_by_key_id: str | None
    expires_on: date


class ReasonRead(ResponseModel):
    code: str
    kind: ReasonKind
    detail: str
    blocking: bool = Field(description="Whether the reason blocks treatment unless accepted.")
    accepted_by: AcceptedBy | None = Field(description="The clinician's override that accepts it.")


class EligibilityRead(ResponseModel):
    client_id: str
    on: date
    status: Status
    reasons: list[ReasonRead]
    screening_id: str | None
    valid_until: date | None = Field(description="The last date the latest screening is valid.")


class EligibilityStatusRead(ResponseModel):
    """What an ``integration`` key learns: the status only, never a condition."""

    client_id: str
    on: date
    status: Status
