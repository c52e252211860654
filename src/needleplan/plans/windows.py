"""Follow-up windows of a treatment course (docs/domain.md#follow-up-windows). Pure.

Session k+1 belongs in [start_k + min days, start_k + max days] on the location's local
calendar, where start_k is the actual start of session k. The window is a range of local dates;
a follow-up keeps the previous session's wall-clock time, so 10:00 stays 10:00 across a DST
change even though the UTC offset moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from needleplan.kit.localtime import local_day_bounds, local_instant


@dataclass(frozen=True)
class Window:
    number: int  # the session this window is for: 2 for the second session ...
    earliest_date: date
    latest_date: date
    starts_at: datetime  # the first instant of earliest_date (UTC)
    ends_at: datetime  # the first instant after latest_date (UTC)
    wall_time: time  # the previous session's local time of day, to keep

    def contains(self, instant: datetime, zone: ZoneInfo) -> bool:
        return self.earliest_date <= instant.astimezone(zone).date() <= self.latest_date

    def preferred_start(self, day: date, zone: ZoneInfo) -> datetime:
        return local_instant(day, self.wall_time, zone)


def window_after(
    previous_start: datetime, number: int, zone: ZoneInfo, min_days: int, max_days: int
) -> Window:
    """The window of session ``number``, following a session that starts at ``previous_start``."""
    local = previous_start.astimezone(zone)
    earliest = local.date() + timedelta(days=min_days)
    latest = local.date() + timedelta(days=max_days)
    return Window(
        number=number,
        earliest_date=earliest,
        latest_date=latest,
        starts_at=local_day_bounds(earliest, zone)[0],
        ends_at=local_day_bounds(latest, zone)[1],
        wall_time=local.time().replace(tzinfo=None),
    )


@dataclass(frozen=True)
class CourseSession:
    id: str
    starts_at: datetime
    interval_accepted: bool  # booked outside its window with a clinician's override


def out_of_window(
    sessions: Sequence[CourseSession], zone: ZoneInfo, min_days: int, max_days: int
) -> dict[str, Window]:
    """The sessions (after the first) outside the window of the one before, with the window
    they should be in. Sessions whose interval a clinician accepted are not flagged."""
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.id))
    flagged: dict[str, Window] = {}
    for number, (previous, current) in enumerate(zip(ordered, ordered[1:], strict=False), start=2):
        window = window_after(previous.starts_at, number, zone, min_days, max_days)
        if not current.interval_accepted and not window.contains(current.starts_at, zone):
            flagged[current.id] = window
    return flagged
