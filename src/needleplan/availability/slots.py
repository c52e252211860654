"""Where a session fits: the start instants on the slot grid at which every resource is free.
Pure (DESIGN 4).

For offsets n (numbing), T (treatment) and R (turnover), a start t suits a provider when
[t+n, t+n+T) lies in their free time, a room when [t, t+n+T+R) lies in its free time, and the
client when [t, t+n+T) lies in theirs. Free time is a set of whole minutes (``MinuteLine``), so
"every start that suits" is a handful of integer operations over the whole range, and the
result comes out as runs of starts rather than grid points times sessions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from needleplan.scheduling.minutes import MinuteLine, fits
from needleplan.scheduling.minutes import runs as minute_runs

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
    free: int  # minutes on the search's MinuteLine


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime
    provider_id: str
    room_id: str


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


def find_runs(
    *,
    line: MinuteLine,
    providers: Mapping[str, int],
    rooms: Sequence[RoomFree],
    offsets: Offsets,
    earliest: datetime,
    latest: datetime,
    zone: ZoneInfo,
    grid: int,
    client_free: int | None = None,
) -> list[SlotRun]:
    """Every (start, provider) with earliest <= start < latest where a booking would succeed,
    as runs of starts, each with the first free room by name. ``providers`` maps each provider
    to their free minutes on ``line`` (working time minus busy time); rooms and the client
    likewise."""
    bounds = line.between(earliest, latest)
    if client_free is not None:
        bounds &= fits(client_free, 0, offsets.client_minutes)
    # Which room each start gets does not depend on the provider: the first free by name.
    first_free_room: list[tuple[str, int]] = []
    claimed = 0
    for room in sorted(rooms, key=lambda r: (r.name, r.room_id)):
        starts = fits(room.free, 0, offsets.total) & bounds
        if starts & ~claimed:
            first_free_room.append((room.room_id, starts & ~claimed))
        claimed |= starts
    runs: list[SlotRun] = []
    for provider_id in sorted(providers):
        left = fits(providers[provider_id], offsets.numbing, offsets.treatment) & claimed
        for room_id, own in first_free_room:
            taken = left & own
            for first, last in minute_runs(taken):
                aligned = _aligned(StartRange(line.instant(first), line.instant(last)), zone, grid)
                if aligned is not None:
                    runs.append(SlotRun(aligned.first, aligned.last, provider_id, room_id))
            left &= ~own
            if not left:
                break
    return runs


def expand(runs: Sequence[SlotRun], grid: int) -> list[Slot]:
    slots = [
        Slot(start, run.provider_id, run.room_id) for run in runs for start in run.starts(grid)
    ]
    slots.sort()
    return slots
