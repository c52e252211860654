"""What a booking occupies: the busy blocks of each resource (docs/domain.md#overlaps). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from needleplan.durations.quote import Resource, Segment, SegmentKind
from needleplan.scheduling.intervals import Interval, merge


@dataclass(frozen=True)
class Block:
    resource: Resource
    resource_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Placement:
    """Who and what a booking ties up: the three resources and its segments."""

    client_id: str
    provider_id: str
    room_id: str
    segments: tuple[Segment, ...]


def segment_interval(start: datetime, segment: Segment) -> Interval:
    begin = start + timedelta(minutes=segment.offset_minutes)
    return Interval(begin, begin + timedelta(minutes=segment.minutes))


def treatment_interval(start: datetime, segments: Sequence[Segment]) -> Interval:
    treatment = next(s for s in segments if s.kind is SegmentKind.treatment)
    return segment_interval(start, treatment)


def busy_blocks(start: datetime, placement: Placement) -> list[Block]:
    """One block per resource and stretch of busy time; contiguous segments are merged.

    ``full_face`` with numbing at 10:00 gives client 10:00–11:10, room 10:00–11:20 and provider
    10:30–11:10: the provider is free while the cream works.
    """
    ids = {
        Resource.client: placement.client_id,
        Resource.provider: placement.provider_id,
        Resource.room: placement.room_id,
    }
    blocks: list[Block] = []
    for resource, resource_id in ids.items():
        spans = [segment_interval(start, s) for s in placement.segments if resource in s.busy]
        blocks.extend(Block(resource, resource_id, i.start, i.end) for i in merge(spans))
    return blocks
