"""An independent oracle for the busy-day summary: recompute it from the session blocks one
minute at a time and compare. Run after every test that touched a database."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, text

MINUTE = timedelta(minutes=1)


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite: naive UTC text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def summary_mismatches(connection: Connection) -> list[str]:
    """(resource, day) pairs whose stored minutes differ from what the blocks say."""
    expected: dict[tuple[str, date], list[str]] = defaultdict(lambda: ["0"] * 1440)
    blocks = connection.execute(
        text("SELECT resource_id, starts_at, ends_at FROM busy_blocks WHERE expires_at IS NULL")
    )
    for resource_id, starts_at, ends_at in blocks:
        start, end = _utc(starts_at), _utc(ends_at)
        minute = start.replace(second=0, microsecond=0)
        while minute < end:
            midnight = minute.replace(hour=0, minute=0)
            expected[(resource_id, minute.date())][(minute - midnight) // MINUTE] = "1"
            minute += MINUTE
    wanted = {key: "".join(chars) for key, chars in expected.items()}
    stored = {
        (resource_id, date.fromisoformat(str(day))): minutes
        for resource_id, day, minutes in connection.execute(
            text("SELECT resource_id, day, minutes FROM busy_days")
        )
        if "1" in minutes  # a day whose sessions all left may stay as an all-free row
    }
    return [
        f"{resource_id} {day}"
        for resource_id, day in sorted(set(wanted) | set(stored))
        if wanted.get((resource_id, day)) != stored.get((resource_id, day))
    ]
