"""Where a session fits: the start instants on the slot grid at which every resource is free.
Pure (DESIGN 4).

For offsets n (numbing), T (treatment) and R (turnover), a start t suits a provider when
[t+n, t+n+T) lies in their free time, a room when [t, t+n+T+R) lies in its free time, and the
client when [t, t+n+T) lies in theirs. Each free interval [a, b) turns into a closed range of
starts ([a-n, b-n-T] for the provider, [a, b-n-T-R] for the room), so the work is linear in the
number of intervals, not in grid points times sessions.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from needleplan.scheduling.intervals import Interval

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Offsets:
    numbing: int
    treatment: int
    turnover: int

    @property
    def client_minutes(self) -> int:
        return self.numbing + self.treatment

    @property
    def total(self) -> int:
        return self.numbing + self.treatment + self.turnover


@dataclass(frozen=True, order=True)
class StartRange:
    """Every start in [first, last], both included."""

    first: datetime
    last: datetime


@dataclass(frozen=True)
class RoomFree:
    room_id: str
    name: str
    free: Sequence[Interval]


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime
    provider_id: str
    room_id: str


def starts_within(free: Sequence[Interval], before: int, busy: int) -> list[StartRange]:
    """Starts t such that [t + before, t + before + busy) lies inside one free interval."""
    ranges = []
    for piece in free:
        first = piece.start - timedelta(minutes=before)
        last = piece.end - timedelta(minutes=before + busy)
        if first <= last:
            ranges.append(StartRange(first, last))
    return ranges


def intersect(a: Sequence[StartRange], b: Sequence[StartRange]) -> list[StartRange]:
    """Both inputs sorted and disjoint; so is the result. When one list is much shorter, its
    ranges look up their partners by bisection instead of walking the long list."""
    if len(a) > len(b):
        a, b = b, a
    if len(a) * 8 >= len(b):
        return _intersect_walk(a, b)
    lasts = [r.last for r in b]
    result = []
    for current in a:
        index = bisect.bisect_left(lasts, current.first)
        while index < len(b) and b[index].first <= current.last:
            first = max(current.first, b[index].first)
            last = min(current.last, b[index].last)
            if first <= last:
                result.append(StartRange(first, last))
            index += 1
    return result


def _intersect_walk(a: Sequence[StartRange], b: Sequence[StartRange]) -> list[StartRange]:
    result = []
    i = j = 0
    while i < len(a) and j < len(b):
        first = max(a[i].first, b[j].first)
        last = min(a[i].last, b[j].last)
        if first <= last:
            result.append(StartRange(first, last))
        if a[i].last < b[j].last:
            i += 1
        else:
            j += 1
    return result


def align_up(instant: datetime, zone: ZoneInfo, grid: int) -> datetime:
    """The first instant at or after ``instant`` on the local grid (whole minutes, local
    minute-of-day divisible by ``grid``)."""
    whole = instant.replace(second=0, microsecond=0)
    if whole < instant:
        whole += MINUTE
    offset = whole.astimezone(zone).utcoffset() or timedelta(0)
    local_minutes = int((whole + offset).timestamp() // 60)
    return whole + timedelta(minutes=(-local_minutes) % grid)


@dataclass(frozen=True, order=True)
class SlotRun:
    """Starts every ``grid`` minutes from ``first`` to ``last`` (both on the grid), all with the
    same provider and room. Because the grid divides an hour, stepping in UTC stays on the
    local grid across a DST change."""

    first: datetime
    last: datetime
    provider_id: str
    room_id: str

    def starts(self, grid: int) -> Iterator[datetime]:
        step = timedelta(minutes=grid)
        point = self.first
        while point <= self.last:
            yield point
            point += step


def _aligned(span: StartRange, zone: ZoneInfo, grid: int) -> StartRange | None:
    first = align_up(span.first, zone, grid)
    if first > span.last:
        return None
    steps = (span.last - first) // timedelta(minutes=grid)
    return StartRange(first, first + steps * timedelta(minutes=grid))


def _without(ranges: Sequence[StartRange], taken: Sequence[StartRange]) -> list[StartRange]:
    """Closed ranges minus closed ranges (both sorted and disjoint)."""
    tick = timedelta(microseconds=1)
    result: list[StartRange] = []
    index = 0
    for current in ranges:
        first = current.first
        while index < len(taken) and taken[index].last < first:
            index += 1
        probe = index
        while probe < len(taken) and taken[probe].first <= current.last:
            if taken[probe].first > first:
                result.append(StartRange(first, taken[probe].first - tick))
            first = max(first, taken[probe].last + tick)
            probe += 1
        if first <= current.last:
            result.append(StartRange(first, current.last))
    return result


def find_runs(
    *,
    providers: Mapping[str, Sequence[Interval]],
    rooms: Sequence[RoomFree],
    offsets: Offsets,
    earliest: datetime,
    latest: datetime,
    zone: ZoneInfo,
    grid: int,
    client_free: Sequence[Interval] | None = None,
) -> list[SlotRun]:
    """Every (start, provider) with earliest <= start < latest where a booking would succeed,
    as runs of starts, each with the first free room by name. ``providers`` maps each provider
    to their free time (working time minus busy time); rooms and the client likewise."""
    bounds = [StartRange(earliest, latest - timedelta(microseconds=1))]
    if client_free is not None:
        bounds = intersect(bounds, starts_within(client_free, 0, offsets.client_minutes))
    ordered_rooms = sorted(rooms, key=lambda r: (r.name, r.room_id))
    room_ranges = [
        intersect(bounds, starts_within(room.free, 0, offsets.total)) for room in ordered_rooms
    ]
    runs: list[SlotRun] = []
    for provider_id in sorted(providers):
        left = intersect(
            bounds, starts_within(providers[provider_id], offsets.numbing, offsets.treatment)
        )
        for room, ranges in zip(ordered_rooms, room_ranges, strict=True):
            if not left:
                break
            taken = intersect(left, ranges)
            for span in taken:
                aligned = _aligned(span, zone, grid)
                if aligned is not None:
                    runs.append(SlotRun(aligned.first, aligned.last, provider_id, room.room_id))
            left = _without(left, taken)
    return runs


def expand(runs: Sequence[SlotRun], grid: int) -> list[Slot]:
    slots = [
        Slot(start, run.provider_id, run.room_id) for run in runs for start in run.starts(grid)
    ]
    slots.sort()
    return slots
