"""How proposals are ordered (docs/domain.md#proposals). Pure.

The plan's provider first (else the previous session's), then the previous session's weekday
and time of day, then the earliest.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
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

    def _steps_from_wanted(self, run: SlotRun, grid: int) -> float | None:
        """How many grid steps after the run's first start the previous session's time of day
        falls, when the run lies within one local day at one UTC offset (so that local time
        advances with the start); None otherwise, or with no previous session."""
        if self.previous is None:
            return None
        first_local = run.first.astimezone(self.zone)
        last_local = run.last.astimezone(self.zone)
        if first_local.date() != last_local.date() or (
            first_local.utcoffset() != last_local.utcoffset()
        ):
            return None
        wanted = self.previous.hour * 60 + self.previous.minute
        return (wanted - (first_local.hour * 60 + first_local.minute)) / grid

    def best_possible(self, run: SlotRun, grid: int) -> Key:
        """A key no start of the run can beat (exact for a run within one local day and one
        UTC offset)."""
        steps = self._steps_from_wanted(run, grid)
        if steps is None:
            other_provider = (
                self.preferred_provider is not None and run.provider_id != self.preferred_provider
            )
            return other_provider, False, 0, run.first, run.provider_id
        last_step = (run.last - run.first) // timedelta(minutes=grid)
        nearest = {max(0, min(step, last_step)) for step in (math.floor(steps), math.ceil(steps))}
        return min(
            self.key(run.first + timedelta(minutes=step * grid), run.provider_id)
            for step in nearest
        )

    def candidates(self, run: SlotRun, grid: int, limit: int) -> Iterator[datetime]:
        """Starts of the run among which its ``limit`` best lie.

        Within one local day and one UTC offset a start's key grows with its distance from
        the previous session's time of day, and with no previous session with the start
        itself, so the best lie within ``limit`` steps of the nearest. Otherwise every start
        is a candidate."""
        step = timedelta(minutes=grid)
        last_step = (run.last - run.first) // step
        if self.previous is None:
            nearest = 0
        else:
            steps = self._steps_from_wanted(run, grid)
            if steps is None:
                yield from run.starts(grid)
                return
            nearest = max(0, min(last_step, round(steps)))
        for index in range(max(0, nearest - limit), min(last_step, nearest + limit) + 1):
            yield run.first + index * step


def top(runs: Sequence[SlotRun], grid: int, ranking: Ranking, limit: int) -> list[Slot]:
    """The ``limit`` best starts, expanding only the runs that can still make the cut."""
    # Each run's bound is worked out once: it is the sort key and the cut-off test alike.
    bounds = [ranking.best_possible(run, grid) for run in runs]
    order = sorted(range(len(runs)), key=bounds.__getitem__)
    chosen: list[tuple[Key, Slot]] = []
    for index in order:
        run = runs[index]
        if len(chosen) >= limit and bounds[index] > max(chosen)[0]:
            break
        for start in ranking.candidates(run, grid, limit):
            chosen.append(
                (ranking.key(start, run.provider_id), Slot(start, run.provider_id, run.room_id))
            )
        chosen = heapq.nsmallest(limit, chosen)
    return [slot for _, slot in sorted(chosen)]
