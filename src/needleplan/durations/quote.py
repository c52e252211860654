"""How long a session takes: the pure rule of docs/domain.md#durations.

A session is numbing (optional), then treatment, then the room's turnover. Each part is rounded
up to the grid. Numbing is a processing block: the cream works on the client in the room while
the provider is free to treat someone else. Turnover is the room being cleaned.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from fractions import Fraction

# No appointment lasts a day. Busy blocks are never longer, which lets calendar queries seek by
# start time (a block that overlaps [a, b) starts after a minus this).
LONGEST_SESSION_MINUTES = 24 * 60
LONGEST_BLOCK = timedelta(minutes=LONGEST_SESSION_MINUTES)


class Intensity(StrEnum):
    light = "light"
    standard = "standard"
    intensive = "intensive"


class SegmentKind(StrEnum):
    numbing = "numbing"
    treatment = "treatment"
    turnover = "turnover"


class Resource(StrEnum):
    client = "client"
    provider = "provider"
    room = "room"


BUSY_DURING: dict[SegmentKind, tuple[Resource, ...]] = {
    SegmentKind.numbing: (Resource.client, Resource.room),
    SegmentKind.treatment: (Resource.client, Resource.provider, Resource.room),
    SegmentKind.turnover: (Resource.room,),
}


@dataclass(frozen=True)
class AreaSpan:
    code: str
    min_minutes: int
    max_minutes: int


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    offset_minutes: int
    minutes: int
    busy: tuple[Resource, ...]


@dataclass(frozen=True)
class DurationQuote:
    treatment_minutes: int
    numbing_minutes: int
    turnover_minutes: int
    segments: tuple[Segment, ...]

    @property
    def total_minutes(self) -> int:
        return self.numbing_minutes + self.treatment_minutes + self.turnover_minutes


def round_up(minutes: Fraction | int, grid: int) -> int:
    """The smallest multiple of ``grid`` that is at least ``minutes``."""
    return math.ceil(Fraction(minutes) / grid) * grid


def area_minutes(area: AreaSpan, intensity: Intensity) -> Fraction:
    """Light takes the area's minimum, intensive its maximum, standard the midpoint."""
    if intensity is Intensity.light:
        return Fraction(area.min_minutes)
    if intensity is Intensity.intensive:
        return Fraction(area.max_minutes)
    return Fraction(area.min_minutes + area.max_minutes, 2)


def with_device_minutes(
    areas: Sequence[AreaSpan], device_minutes: Mapping[str, tuple[int, int]]
) -> list[AreaSpan]:
    """The spans a device treats ``areas`` in (docs/domain.md#devices): the device's
    ``(min_minutes, max_minutes)`` where it names the area, else the area's own minutes."""
    spans = []
    for area in areas:
        own = device_minutes.get(area.code)
        spans.append(area if own is None else AreaSpan(area.code, own[0], own[1]))
    return spans


def segments_for(
    numbing_minutes: int, treatment_minutes: int, turnover_minutes: int
) -> tuple[Segment, ...]:
    """Numbing, treatment and turnover back to back from the start; empty parts are left out."""
    segments: list[Segment] = []
    offset = 0
    for kind, minutes in (
        (SegmentKind.numbing, numbing_minutes),
        (SegmentKind.treatment, treatment_minutes),
        (SegmentKind.turnover, turnover_minutes),
    ):
        if minutes:
            segments.append(Segment(kind, offset, minutes, BUSY_DURING[kind]))
            offset += minutes
    return tuple(segments)


def quote_duration(
    areas: Sequence[AreaSpan],
    intensity: Intensity,
    *,
    numbing: bool,
    numbing_minutes: int,
    turnover_minutes: int,
    grid: int,
) -> DurationQuote:
    """The breakdown of a session treating ``areas`` (their minutes summed, then rounded up)."""
    if not areas:
        raise ValueError("a session treats at least one area")
    treatment = round_up(sum((area_minutes(a, intensity) for a in areas), Fraction(0)), grid)
    numbing_part = round_up(numbing_minutes, grid) if numbing else 0
    turnover = round_up(turnover_minutes, grid)
    segments = segments_for(numbing_part, treatment, turnover)
    return DurationQuote(
        treatment_minutes=treatment,
        numbing_minutes=numbing_part,
        turnover_minutes=turnover,
        segments=segments,
    )
