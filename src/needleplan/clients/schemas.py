from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field

from needleplan.kit.models import AsSent, JsonDate, RequestModel, ResponseModel, omitted
from needleplan.kit.statuses import NumbingPreference

PersonName = Annotated[str, Field(min_length=1, max_length=100), AsSent()]
Phone = Annotated[
    str,
    Field(
        min_length=3,
        max_length=40,
        pattern=r"^\+?[0-9][0-9 ()./-]{1,38}[0-9]$",
        examples=["+49 30 1234567"],
    ),
    AsSent(),
]
Notes = Annotated[str, Field(max_length=5000), AsSent()]
Email = Annotated[EmailStr, AsSent(max_length=254)]
ComfortNotes = Annotated[
    str,
    Field(
        max_length=2000,
        description="Clinicians and admins only (403 for other roles): what makes sessions "
        "bearable for this client, e.g. pain tolerance. Never in logs or integration events.",
        examples=["Low pain tolerance; prefers breaks on the forehead."],
    ),
    AsSent(),
]
NUMBING_PREFERENCE = (
    "Whether a booking, hold, quote or availability search that leaves `numbing` out numbs: "
    "`always`, `never`, or `ask` (the request must then say; 422 naming `numbing`)."
)


def _plausible_birth_date(value: date) -> date:
    if value.year < 1900:
        raise ValueError("the date of birth must be 1900 or later")
    if value > date.today():  # noqa: DTZ011 - a date of birth is a calendar date, not an instant
        raise ValueError("the date of birth cannot lie in the future")
    return value


BirthDate = Annotated[JsonDate, AfterValidator(_plausible_birth_date)]


class ClientCreate(RequestModel):
    first_name: PersonName = Field(examples=["Anna"])
    last_name: PersonName = Field(examples=["Beispiel"])
    date_of_birth: BirthDate = Field(examples=["1988-04-12"])
    email: Email | None = Field(default=None, max_length=254, examples=["anna@example.org"])
    phone: Phone | None = None
    notes: Notes | None = None
    numbing_preference: NumbingPreference = Field(
        default=NumbingPreference.ask, description=NUMBING_PREFERENCE
    )
    comfort_notes: ComfortNotes | None = None


class ClientUpdate(RequestModel):
    first_name: PersonName = omitted()
    last_name: PersonName = omitted()
    date_of_birth: BirthDate = omitted()
    email: Email | None = Field(default=None, max_length=254)
    phone: Phone | None = None
    notes: Notes | None = None
    numbing_preference: Annotated[NumbingPreference, Field(description=NUMBING_PREFERENCE)] = (
        omitted()
    )
    comfort_notes: ComfortNotes | None = None


class ClientRead(ResponseModel):
    id: str
    first_name: str
    last_name: str
    date_of_birth: date
    email: str | None
    phone: str | None
    notes: str | None
    numbing_preference: NumbingPreference
    comfort_notes: str | None = Field(
        description="null for front desk keys, who may not read it (clinicians and admins only)."
    )
    version: int
    created_at: datetime
    updated_at: datetime | None


class ClientReference(ResponseModel):
    """What an ``integration`` key learns of a client it created: the id only."""

    id: str


class ClientPage(ResponseModel):
    items: list[ClientRead]
    next_cursor: str | None
