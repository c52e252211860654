"""Minute sets (scheduling/minutes.py): each operation against its one-minute-at-a-time meaning."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import reduce
from itertools import pairwise
from operator import or_

from hypothesis import given
from hypothesis import strategies as st

from needleplan.scheduling.intervals import Interval
from needleplan.scheduling.minutes import (
    MINUTES_PER_DAY,
    MinuteLine,
    day_spans,
    day_text,
    fits,
    mask_of_days,
    runs,
)

LINE = MinuteLine.of_days(date(2027, 3, 27), date(2027, 3, 28))
ORIGIN = LINE.origin

masks = st.integers(0, (1 << 300) - 1)
# Instants with seconds, so that rounding to whole minutes is exercised.
seconds = st.integers(-600, LINE.length * 60 + 600)


def _at(second: int) -> datetime:
    return ORIGIN + timedelta(seconds=second)


def _bits(mask: int) -> set[int]:
    return {i for i in range(mask.bit_length()) if mask >> i & 1}


@given(masks, st.integers(0, 40), st.integers(1, 90))
def test_fits_is_every_start_whose_span_is_free(free: int, offset: int, width: int) -> None:
    expected = {
        t
        for t in range(free.bit_length())
        if all(free >> m & 1 for m in range(t + offset, t + offset + width))
    }
    assert _bits(fits(free, offset, width)) == expected


# Sparse masks over a few thousand minutes, like a calendar, as well as dense random ones.
spans = st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 70)), max_size=12)
sparse = spans.map(lambda pieces: reduce(or_, ((((1 << n) - 1) << a) for a, n in pieces), 0))


@given(st.one_of(masks, sparse))
def test_runs_are_the_maximal_stretches_of_set_bits(mask: int) -> None:
    found = list(runs(mask))
    assert {i for first, last in found for i in range(first, last + 1)} == _bits(mask)
    # Maximal and in order: separated by at least one clear bit.
    assert all(a_last + 1 < b_first for (_, a_last), (b_first, _) in pairwise(found))


@given(st.lists(st.tuples(seconds, st.integers(1, 4000)), max_size=4))
def test_free_minutes_are_wholly_covered_and_busy_minutes_are_touched(
    pieces: list[tuple[int, int]],
) -> None:
    intervals = [Interval(_at(start), _at(start + length)) for start, length in pieces]

    def minute(i: int) -> Interval:
        return Interval(LINE.instant(i), LINE.instant(i + 1))

    covered = {i for i in range(LINE.length) if any(p.contains(minute(i)) for p in intervals)}
    touched = {i for i in range(LINE.length) if any(p.overlaps(minute(i)) for p in intervals)}
    assert _bits(LINE.covered(intervals)) == covered
    assert _bits(LINE.touched(intervals)) == touched


@given(seconds, seconds)
def test_between_holds_the_whole_minutes_of_a_half_open_range(a: int, b: int) -> None:
    expected = {i for i in range(LINE.length) if _at(a) <= LINE.instant(i) < _at(b)}
    assert _bits(LINE.between(_at(a), _at(b))) == expected


@given(st.integers(0, 3 * MINUTES_PER_DAY * 60), st.integers(1, 24 * 60 * 60))
def test_day_spans_split_a_block_by_utc_day_and_round_outwards(start: int, length: int) -> None:
    begin = _at(start)
    end = begin + timedelta(seconds=length)
    spans = day_spans(begin, end)
    line = MinuteLine.of_days(begin.date(), (end - timedelta(microseconds=1)).date())
    # Rebuilt from the stored day texts, the mask is exactly the minutes the block touches.
    texts = {span.day: day_text(span) for span in spans}
    empty = "0" * MINUTES_PER_DAY
    days = [line.origin.date() + timedelta(days=n) for n in range(line.length // MINUTES_PER_DAY)]
    ordered = [texts.get(day, empty) for day in days]
    assert mask_of_days(ordered) == line.touched([Interval(begin, end)])
    assert len(spans) <= 2  # a block lasts at most a day


def test_a_block_that_ends_at_midnight_stays_on_its_day() -> None:
    start = datetime(2027, 3, 27, 23, 0, tzinfo=UTC)
    spans = day_spans(start, start + timedelta(hours=1))
    assert [(s.day, s.first, s.end) for s in spans] == [(date(2027, 3, 27), 23 * 60, 24 * 60)]
