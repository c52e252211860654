"""Aware-time helpers. Every instant in needleplan is time-zone aware."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

# The easternmost zone on Earth: a date that is "today" anywhere is at most today here.
_LATEST_ZONE = timezone(timedelta(hours=14))


def utc_now() -> datetime:
    return datetime.now(UTC)


def latest_today() -> date:
    """The latest calendar date anywhere on Earth (UTC+14), so no clinic's local today is refused."""
    return datetime.now(_LATEST_ZONE).date()


_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
END_OF_CALENDAR = datetime(2200, 1, 1, tzinfo=UTC)  # no instant the API takes or gives is later


def check_instant(value: datetime) -> datetime:
    """An aware instant inside the range a clinic calendar can mean (1970–2199)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the datetime needs a UTC offset, e.g. 2027-03-09T10:00:00+01:00")
    if not (_EARLIEST <= value < END_OF_CALENDAR):
        raise ValueError("the instant must lie between 1970 and 2199")
    return value


_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")


def is_timestamp(value: Any) -> bool:
    """A number, or a string holding one: pydantic's lax mode would read it as a Unix timestamp
    (``0`` is 1970-01-01), but the API speaks RFC 3339 dates and date-times only."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or (
        isinstance(value, str) and bool(_NUMBER.fullmatch(value))
    )


def reject_timestamp(value: Any) -> Any:
    if is_timestamp(value):
        raise PydanticCustomError(
            "datetime_type", "Input should be an RFC 3339 date or date-time, not a number"
        )
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(reject_timestamp), AfterValidator(check_instant)]

LocalDate = Annotated[date, BeforeValidator(reject_timestamp)]
"""A calendar date written YYYY-MM-DD (a query value ``0`` is refused, not read as 1970-01-01)."""


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcInstant = Annotated[datetime, AfterValidator(_to_utc)]
"""An instant rendered in UTC (``Z``) whatever offset it was written with."""
