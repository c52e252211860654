"""Half-open time intervals [start, end) and the set operations scheduling needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same time; touching ones are joined."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if interval.end <= interval.start:
            continue
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            merged.append(interval)
    return merged


def subtract(base: Iterable[Interval], removed: Iterable[Interval]) -> list[Interval]:
    """``base`` minus every interval of ``removed`` (both may be unsorted and overlapping).

    One sweep over both sorted lists: linear in their lengths.
    """
    result: list[Interval] = []
    cuts = merge(removed)
    first_cut = 0
    for piece in merge(base):
        while first_cut < len(cuts) and cuts[first_cut].end <= piece.start:
            first_cut += 1
        start = piece.start
        index = first_cut
        while index < len(cuts) and cuts[index].start < piece.end:
            cut = cuts[index]
            if cut.start > start:
                result.append(Interval(start, cut.start))
            start = max(start, cut.end)
            index += 1
        if start < piece.end:
            result.append(Interval(start, piece.end))
    return result


def covered(span: Interval, cover: Iterable[Interval]) -> bool:
    """Whether ``span`` lies wholly inside the union of ``cover``."""
    return any(piece.contains(span) for piece in merge(cover))
