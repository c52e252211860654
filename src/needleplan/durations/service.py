from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from needleplan.config import Settings
from needleplan.durations import repository
from needleplan.durations.quote import (
    LONGEST_SESSION_MINUTES,
    AreaSpan,
    DurationQuote,
    Intensity,
    quote_duration,
)
from needleplan.problems import FieldError, ValidationFailed, field_error


def areas_by_code(db: Session, codes: Sequence[str]) -> dict[str, AreaSpan]:
    """The treatment-area catalogue's minutes for those of ``codes`` it knows."""
    rows = repository.area_minutes(db, codes)
    return {code: AreaSpan(code, low, high) for code, low, high in rows}


def quote_for_codes(
    db: Session,
    settings: Settings,
    codes: list[str],
    intensity: Intensity,
    *,
    numbing: bool,
    location: str = "body",
) -> DurationQuote:
    """Quote from the clinic's catalogue; duplicate or unknown codes are named in a 422."""
    errors: list[FieldError] = []
    offending: list[str] = []
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in seen:
            errors.append(
                field_error(location, f"areas.{index}", f"{code!r} is listed twice", "duplicate")
            )
            offending.append(code)
        seen.add(code)
    catalogue = areas_by_code(db, codes)
    for index, code in enumerate(codes):
        if code not in catalogue:
            errors.append(
                field_error(
                    location,
                    f"areas.{index}",
                    f"{code!r} is not a treatment area code",
                    "unknown_area",
                )
            )
            offending.append(code)
    if errors:
        named = ", ".join(repr(code) for code in dict.fromkeys(offending))
        raise ValidationFailed(f"Invalid treatment areas: {named}.", errors)
    spans = [catalogue[code] for code in codes]
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
