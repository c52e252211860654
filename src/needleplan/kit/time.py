"""Aware-time helpers. Every instant in needleplan is time-zone aware."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

# The easternmost zone on Earth: a date that is "today" anywhere is at most today here.
_LATEST_ZONE = timezone(timedelta(hours=14))


def utc_now() -> datetime:
    return datetime.now(UTC)


def latest_today() -> date:
    """The latest calendar date anywhere on Earth (UTC+14), so no clinic's local today is refused."""
    return datetime.now(_LATEST_ZONE).date()
