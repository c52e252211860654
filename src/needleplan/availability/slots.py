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
    """Both inputs sorted and disjoint; so is the result."""
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


def _union(ranges: Sequence[StartRange]) -> list[StartRange]:
    merged: list[StartRange] = []
    for current in sorted(ranges):
        if merged and current.first <= merged[-1].last:
            merged[-1] = StartRange(merged[-1].first, max(merged[-1].last, current.last))
        else:
            merged.append(current)
    return merged


def _align_up(instant: datetime, zone: ZoneInfo, grid: int) -> datetime:
    """The first instant at or after ``instant`` on the local grid (whole minutes, local
    minute-of-day divisible by ``grid``)."""
    whole = instant.replace(second=0, microsecond=0)
    if whole < instant:
        whole += MINUTE
    offset = whole.astimezone(zone).utcoffset() or timedelta(0)
    local_minutes = int((whole + offset).timestamp() // 60)
    return whole + timedelta(minutes=(-local_minutes) % grid)


def grid_points(span: StartRange, zone: ZoneInfo, grid: int) -> Iterator[datetime]:
    step = timedelta(minutes=grid)
    point = _align_up(span.first, zone, grid)
    while point <= span.last:
        yield point
        following = point + step
        # A DST change can put the next step off the local grid when grid does not divide it.
        aligned = _align_up(following, zone, grid)
        point = aligned if aligned != following else following


def find_slots(
    *,
    providers: Mapping[str, Sequence[Interval]],
    rooms: Sequence[RoomFree],
    offsets: Offsets,
    earliest: datetime,
    latest: datetime,
    zone: ZoneInfo,
    grid: int,
    client_free: Sequence[Interval] | None = None,
) -> list[Slot]:
    """Every (start, provider) with earliest <= start < latest where a booking would succeed,
    with the first free room by name. ``providers`` maps each provider to their free time
    (working time minus busy time); rooms and the client likewise."""
    bounds = [StartRange(earliest, latest - timedelta(microseconds=1))]
    if client_free is not None:
        bounds = intersect(bounds, starts_within(client_free, 0, offsets.client_minutes))
    ordered_rooms = sorted(rooms, key=lambda r: (r.name, r.room_id))
    room_ranges = [
        intersect(bounds, starts_within(room.free, 0, offsets.total)) for room in ordered_rooms
    ]
    any_room = _union([r for ranges in room_ranges for r in ranges])
    room_firsts = [[r.first for r in ranges] for ranges in room_ranges]
    slots: list[Slot] = []
    for provider_id in sorted(providers):
        possible = intersect(
            starts_within(providers[provider_id], offsets.numbing, offsets.treatment), any_room
        )
        for span in possible:
            for start in grid_points(span, zone, grid):
                room_id = _first_room(start, ordered_rooms, room_ranges, room_firsts)
                if room_id is not None:
                    slots.append(Slot(start, provider_id, room_id))
    slots.sort()
    return slots


def _first_room(
    start: datetime,
    rooms: Sequence[RoomFree],
    room_ranges: Sequence[Sequence[StartRange]],
    room_firsts: Sequence[Sequence[datetime]],
) -> str | None:
    for room, ranges, firsts in zip(rooms, room_ranges, room_firsts, strict=True):
        index = bisect.bisect_right(firsts, start) - 1
        if index >= 0 and ranges[index].last >= start:
            return room.room_id
    return None
