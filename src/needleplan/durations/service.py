from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from needleplan.clients.service import numbing_choice
from needleplan.config import Settings
from needleplan.devices.service import minutes_by_area
from needleplan.durations import repository
from needleplan.durations.quote import (
    LONGEST_SESSION_MINUTES,
    AreaSpan,
    DurationQuote,
    Intensity,
    quote_duration,
    with_device_minutes,
)
from needleplan.kit.codes import refuse_bad_codes
from needleplan.models import Device
from needleplan.problems import ValidationFailed, field_error


def areas_by_code(db: Session, codes: Sequence[str]) -> dict[str, AreaSpan]:
    """The treatment-area catalogue's minutes for those of ``codes`` it knows."""
    rows = repository.area_minutes(db, codes)
    return {code: AreaSpan(code, low, high) for code, low, high in rows}


def check_area_codes(
    db: Session, codes: Sequence[str], *, location: str = "body"
) -> dict[str, AreaSpan]:
    """The one treatment-area code check (quotes, sessions, holds, plans): a code listed twice
    or unknown to the catalogue is a 422 naming it. Returns the catalogue's minutes."""
    catalogue = areas_by_code(db, codes)
    refuse_bad_codes(
        codes,
        catalogue,
        field="areas",
        what="a treatment area code",
        summary="Invalid treatment areas",
        unknown="unknown_area",
        location=location,
        duplicates=True,
    )
    return catalogue


def numbing_for(
    db: Session, asked: bool | None, client_id: str | None, *, location: str = "body"
) -> bool:
    """A quote's or availability search's numbing (docs/domain.md#comfort): as asked; left out,
    the named client's preference (422 naming ``numbing`` when it is ``ask``); no numbing when
    no client is named, as before clients had a preference."""
    if client_id is None:
        return bool(asked)
    return numbing_choice(db, client_id, asked, location=location).numbing


def quote_for_codes(
    db: Session,
    settings: Settings,
    codes: list[str],
    intensity: Intensity,
    *,
    numbing: bool,
    location: str = "body",
    device: Device | None = None,
) -> DurationQuote:
    """Quote from the clinic's catalogue; duplicate or unknown codes are named in a 422.
    ``device``: its minutes replace the areas' own where it names them."""
    catalogue = check_area_codes(db, codes, location=location)
    spans = with_device_minutes([catalogue[code] for code in codes], minutes_by_area(device))
    quote = quote_duration(
        spans,
        intensity,
        numbing=numbing,
        numbing_minutes=settings.numbing_minutes,
        turnover_minutes=settings.turnover_minutes,
        grid=settings.duration_rounding_minutes,
    )
    if quote.total_minutes > LONGEST_SESSION_MINUTES:
        raise ValidationFailed(
            f"A session lasts at most 24 hours; these areas take {quote.total_minutes} minutes.",
            [field_error(location, "areas", "Too many areas for one session.", "session_too_long")],
        )
    return quote
