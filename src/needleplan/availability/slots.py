"""Where a session fits: the start instants on the slot grid at which every resource is free.
Pure (docs/domain.md#availability).

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

from needleplan.scheduling.minutes import MINUTE, MINUTES_PER_DAY, MinuteLine, fits
from needleplan.scheduling.minutes import runs as minute_runs


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


@dataclass(frozen=True, order=True)
class SlotRun:
    """Starts every ``grid`` minutes from ``first`` to ``last`` (both on the grid), all with the
    same provider and room. A run never spans a change of the grid's phase (``grid_phases``),
    so stepping in UTC stays on the local grid."""

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


def grid_phases(line: MinuteLine, zone: ZoneInfo, grid: int) -> list[tuple[int, int]]:
    """Where the local grid lies on the line, as pieces (first index, phase): from a piece's
    first index on, minute i starts on the local grid exactly when i = phase (mod grid).

    A new piece begins only where the zone's UTC offset changes by other than a multiple of
    ``grid``; with a grid that divides an hour and one-hour DST changes there is one piece."""
    origin_minute = int(line.origin.timestamp()) // 60

    def phase_at(index: int) -> int:
        offset = line.instant(index).astimezone(zone).utcoffset() or timedelta(0)
        return (-(origin_minute + offset // MINUTE)) % grid

    pieces = [(0, phase_at(0))]
    for day in range(1, line.length // MINUTES_PER_DAY + 1):
        end = min(day * MINUTES_PER_DAY, line.length - 1)
        if phase_at(end) == pieces[-1][1]:
            continue
        # Offsets change at most once a day: find the first minute of the new phase.
        low, high = (day - 1) * MINUTES_PER_DAY, end
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if phase_at(middle) == pieces[-1][1] else (low, middle)
        pieces.append((high, phase_at(high)))
    return pieces


def _on_grid(
    first: int, last: int, phases: Sequence[tuple[int, int]], grid: int
) -> Iterator[tuple[int, int]]:
    """The grid starts among minutes first..last, as (first, last) runs of one phase each."""
    for number, (begin, phase) in enumerate(phases):
        end = phases[number + 1][0] - 1 if number + 1 < len(phases) else last
        low, high = max(first, begin), min(last, end)
        if low > high:
            continue
        low += (phase - low) % grid
        if low <= high:
            yield low, high - (high - low) % grid


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
    # A room free exactly when one before it is gets no start of its own: on a quiet stretch
    # that is every room after the first, each of which would otherwise cost a ``fits``.
    seen: set[int] = set()
    for room in sorted(rooms, key=lambda r: (r.name, r.room_id)):
        if room.free in seen:
            continue
        seen.add(room.free)
        starts = fits(room.free, 0, offsets.total) & bounds
        if starts & ~claimed:
            first_free_room.append((room.room_id, starts & ~claimed))
        claimed |= starts
    phases = grid_phases(line, zone, grid)
    runs: list[SlotRun] = []
    for provider_id in sorted(providers):
        left = fits(providers[provider_id], offsets.numbing, offsets.treatment) & claimed
        for room_id, own in first_free_room:
            for free_first, free_last in minute_runs(left & own):
                for first, last in _on_grid(free_first, free_last, phases, grid):
                    runs.append(
                        SlotRun(line.instant(first), line.instant(last), provider_id, room_id)
                    )
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
