"""When a provider works at a location: the weekly plan expanded into instants, plus extra
hours, minus time off. Pure: plain data in, UTC intervals out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from needleplan.kit.localtime import local_instant
from needleplan.scheduling.intervals import Interval, merge, subtract


@dataclass(frozen=True)
class WeeklyInterval:
    weekday: int  # ISO: 1 = Monday
    start_time: time
    end_time: time


@dataclass(frozen=True)
class DatedException:
    kind: str  # "time_off" or "extra_hours"
    start: datetime
    end: datetime


def working_intervals(
    weekly: Sequence[WeeklyInterval],
    exceptions: Iterable[DatedException],
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
) -> list[Interval]:
    """The provider's working time at one location over local days ``first_day..last_day``.

    Weekly intervals are wall-clock times on each local date, so "09:00–17:00" stays 09:00–17:00
    across a DST change. Time off removes time whatever the location; extra hours add it.
    """
    planned: list[Interval] = []
    day = first_day
    while day <= last_day:
        for interval in weekly:
            if interval.weekday == day.isoweekday():
                planned.append(
                    Interval(
                        local_instant(day, interval.start_time, zone),
                        local_instant(day, interval.end_time, zone),
                    )
                )
        day += timedelta(days=1)
    exceptions = list(exceptions)
    planned.extend(Interval(e.start, e.end) for e in exceptions if e.kind == "extra_hours")
    return subtract(
        merge(planned), (Interval(e.start, e.end) for e in exceptions if e.kind == "time_off")
    )
