"""Pure rules of a provider's weekly working plan (local wall times per ISO weekday)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True, order=True)
class PlanInterval:
    weekday: int  # ISO: 1 = Monday ... 7 = Sunday
    start_time: time
    end_time: time
    location_id: str


def plan_conflicts(intervals: Sequence[PlanInterval]) -> list[tuple[int, int]]:
    """Index pairs of intervals that overlap on the same weekday.

    A provider treats one client at a time and is at one location at a time, so intervals of
    the same day may touch (09:00–12:00, 12:00–17:00) but never overlap, whatever the location.
    """
    ordered = sorted(range(len(intervals)), key=lambda i: intervals[i])
    conflicts: list[tuple[int, int]] = []
    for position, current in enumerate(ordered):
        for following in ordered[position + 1 :]:
            a, b = intervals[current], intervals[following]
            if b.weekday != a.weekday or b.start_time >= a.end_time:
                break
            conflicts.append((min(current, following), max(current, following)))
    return conflicts
