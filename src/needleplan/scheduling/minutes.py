"""Time as sets of whole minutes, held in one Python integer per resource. Pure.

Bookings start on a grid of whole minutes and last whole minutes, so a calendar question
("does [t + a, t + b) lie in this resource's free time?") only needs to know which whole
minutes are free. On a ``MinuteLine`` bit ``i`` of a mask stands for the minute that starts
``i`` minutes after ``origin``. Set operations are then single integer operations over a
month at once (``&``, ``|``, ``~``, shifts), which CPython runs in C.

A minute is *busy* when any busy time touches it and *free* only when free time covers all of
it, so the answer is exact for whole-minute starts and spans whatever the inputs' seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from needleplan.scheduling.intervals import Interval

MINUTE = timedelta(minutes=1)
MINUTES_PER_DAY = 24 * 60
_ONES = re.compile("1+")
_NON_ZERO_BYTES = re.compile(b"[^\\x00]+")


def _minutes_between(start: datetime, end: datetime, *, round_up: bool) -> int:
    whole, rest = divmod(end - start, MINUTE)
    return whole + (1 if round_up and rest else 0)


@dataclass(frozen=True)
class MinuteLine:
    """``length`` whole minutes from ``origin`` (an aware instant on a whole UTC minute)."""

    origin: datetime
    length: int

    @classmethod
    def of_days(cls, first: date, last: date) -> MinuteLine:
        """The UTC days ``first..last``, both included."""
        origin = datetime(first.year, first.month, first.day, tzinfo=UTC)
        return cls(origin, ((last - first).days + 1) * MINUTES_PER_DAY)

    @property
    def everything(self) -> int:
        return (1 << self.length) - 1

    def index_at_or_after(self, instant: datetime) -> int:
        """The first minute starting at or after ``instant``, clamped to the line."""
        index = _minutes_between(self.origin, instant, round_up=True)
        return min(max(index, 0), self.length)

    def index_at_or_before(self, instant: datetime) -> int:
        """The last minute boundary at or before ``instant``, clamped to the line."""
        index = _minutes_between(self.origin, instant, round_up=False)
        return min(max(index, 0), self.length)

    def instant(self, index: int) -> datetime:
        return self.origin + index * MINUTE

    def span(self, first: int, end: int) -> int:
        """The minutes ``first..end-1`` (empty when ``end <= first``)."""
        if end <= first:
            return 0
        return ((1 << (end - first)) - 1) << first

    def covered(self, intervals: Iterable[Interval]) -> int:
        """Minutes lying wholly inside one of ``intervals`` (free time)."""
        return self._mask(
            (self.index_at_or_after(p.start), self.index_at_or_before(p.end)) for p in intervals
        )

    def touched(self, intervals: Iterable[Interval]) -> int:
        """Minutes that any of ``intervals`` touches (busy time)."""
        return self._mask(
            (self.index_at_or_before(p.start), self.index_at_or_after(p.end)) for p in intervals
        )

    def _mask(self, spans: Iterable[tuple[int, int]]) -> int:
        """The union of minute spans [first, end), built in a byte array and converted once:
        OR-ing one big integer per span would copy the whole line each time."""
        packed = bytearray((self.length + 7) // 8)
        for first, end in spans:
            if end <= first:
                continue
            head, tail = first // 8, (end - 1) // 8
            if head == tail:
                packed[head] |= ((1 << (end - first)) - 1) << (first % 8)
                continue
            packed[head] |= (0xFF << (first % 8)) & 0xFF
            packed[head + 1 : tail] = b"\xff" * (tail - head - 1)
            packed[tail] |= (1 << ((end - 1) % 8 + 1)) - 1
        return int.from_bytes(packed, "little")

    def between(self, earliest: datetime, before: datetime) -> int:
        """Whole-minute instants t with earliest <= t < before."""
        return self.span(self.index_at_or_after(earliest), self.index_at_or_after(before))


def fits(free: int, offset: int, width: int) -> int:
    """Starts t such that minutes t + offset .. t + offset + width - 1 are all in ``free``.

    Doubling: after each step bit i says that ``covered`` minutes from i are free, so a width
    of w takes about log2(w) shifts, whatever the length of the line.
    """
    if width <= 0:
        return -1  # every start: nothing needs to be free
    result, covered = free, 1
    while covered < width:
        step = min(covered, width - covered)
        result &= result >> step
        covered += step
    return result >> offset if offset >= 0 else result << -offset


def runs(mask: int) -> Iterator[tuple[int, int]]:
    """Maximal runs of set bits as (first, last) indexes, both included, in order.

    The mask's bytes are scanned for non-zero stretches first (a month is ~5 kB), and only
    those are spelled out bit by bit."""
    if mask <= 0:
        return
    packed = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
    # Stretches are separated by a zero byte, so no run crosses from one to the next.
    for stretch in _NON_ZERO_BYTES.finditer(packed):
        base = stretch.start() * 8
        bits = format(int.from_bytes(stretch.group(), "little"), "b")[::-1]
        for found in _ONES.finditer(bits):
            yield base + found.start(), base + found.end() - 1


@dataclass(frozen=True, order=True)
class DaySpan:
    """Minutes ``first..end-1`` of the UTC day ``day``."""

    day: date
    first: int
    end: int


def day_spans(start: datetime, end: datetime) -> list[DaySpan]:
    """The whole minutes that [start, end) touches, split by UTC day."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    spans = []
    day = start.date()
    while True:
        line = MinuteLine.of_days(day, day)
        first = line.index_at_or_before(start)
        last = line.index_at_or_after(end)
        if first < last:
            spans.append(DaySpan(day, first, last))
        if end <= line.origin + MINUTES_PER_DAY * MINUTE:
            return spans
        day += timedelta(days=1)


def day_text(span: DaySpan) -> str:
    """A day's minutes as stored: one character per minute, "1" for the span, "0" elsewhere."""
    return "0" * span.first + "1" * (span.end - span.first) + "0" * (MINUTES_PER_DAY - span.end)


def mask_of_days(texts: Sequence[str]) -> int:
    """A mask from consecutive stored day texts (the first is the line's first day)."""
    return int("".join(texts)[::-1], 2)
