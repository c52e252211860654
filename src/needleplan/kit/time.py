"""Aware-time helpers. Every instant in needleplan is time-zone aware."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

# The easternmost zone on Earth: a date that is "today" anywhere is at most today here.
_LATEST_ZONE = timezone(timedelta(hours=14))


def utc_now() -> datetime:
    return datetime.now(UTC)


def latest_today() -> date:
    """The latest calendar date anywhere on Earth (UTC+14), so no clinic's local today is refused."""
    return datetime.now(_LATEST_ZONE).date()


_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_instant(value: datetime) -> datetime:
    """An aware instant inside the range a clinic calendar can mean (1970–2199)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the datetime needs a UTC offset, e.g. 2027-03-09T10:00:00+01:00")
    if not (_EARLIEST <= value < _LATEST):
        raise ValueError("the instant must lie between 1970 and 2199")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(check_instant)]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcInstant = Annotated[datetime, AfterValidator(_to_utc)]
"""An instant rendered in UTC (``Z``) whatever offset it was written with."""
