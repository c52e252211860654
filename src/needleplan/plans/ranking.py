"""How proposals are ordered (SPEC 5). Pure.

The plan's provider first (else the previous session's), then the previous session's weekday
and time of day, then the earliest.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from needleplan.availability.slots import Slot, SlotRun

Key = tuple[bool, bool, int, datetime, str]


class Ranking:
    def __init__(
        self, zone: ZoneInfo, *, preferred_provider: str | None, previous_start: datetime | None
    ) -> None:
        self.zone = zone
        self.preferred_provider = preferred_provider
        self.previous = previous_start.astimezone(zone) if previous_start else None

    def key(self, start: datetime, provider_id: str) -> Key:
        other_provider = (
            self.preferred_provider is not None and provider_id != self.preferred_provider
        )
        if self.previous is None:
            return other_provider, False, 0, start, provider_id
        local = start.astimezone(self.zone)
        other_weekday = local.isoweekday() != self.previous.isoweekday()
        minutes_apart = abs(
            (local.hour * 60 + local.minute) - (self.previous.hour * 60 + self.previous.minute)
        )
        return other_provider, other_weekday, minutes_apart, start, provider_id

    def best_possible(self, run: SlotRun, grid: int) -> Key:
        """A key no start of the run can beat (exact for a run within one local day)."""
        first_local = run.first.astimezone(self.zone)
        if self.previous is None or first_local.date() != run.last.astimezone(self.zone).date():
            other_provider = (
                self.preferred_provider is not None and run.provider_id != self.preferred_provider
            )
            return other_provider, False, 0, run.first, run.provider_id
        wanted = self.previous.hour * 60 + self.previous.minute
        offset = wanted - (first_local.hour * 60 + first_local.minute)
        last_step = (run.last - run.first) // timedelta(minutes=grid)
        candidates = {max(0, min(step, last_step)) for step in (offset // grid, -(-offset // grid))}
        return min(
            self.key(run.first + timedelta(minutes=step * grid), run.provider_id)
            for step in candidates
        )


def top(runs: Sequence[SlotRun], grid: int, ranking: Ranking, limit: int) -> list[Slot]:
    """The ``limit`` best starts, expanding only the runs that can still make the cut."""
    ordered = sorted(runs, key=lambda run: ranking.best_possible(run, grid))
    chosen: list[tuple[Key, Slot]] = []
    for run in ordered:
        if len(chosen) >= limit and ranking.best_possible(run, grid) > max(chosen)[0]:
            break
        for start in run.starts(grid):
            chosen.append(
                (ranking.key(start, run.provider_id), Slot(start, run.provider_id, run.room_id))
            )
        chosen = heapq.nsmallest(limit, chosen)
    return [slot for _, slot in sorted(chosen)]
