"""Proposal ranking (plans/ranking.py): the shortcut `top` against sorting every start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from needleplan.availability.slots import SlotRun
from needleplan.plans.ranking import Ranking, top

BERLIN = ZoneInfo("Europe/Berlin")
# Around the autumn DST change (2027-10-31), when a local hour happens twice.
BASE = datetime(2027, 10, 29, 0, 0, tzinfo=UTC)
GRID = 15


def _run(start_steps: int, length_steps: int, provider: str) -> SlotRun:
    first = BASE + timedelta(minutes=GRID * start_steps)
    return SlotRun(first, first + timedelta(minutes=GRID * length_steps), provider, "room")


runs = st.lists(
    st.builds(
        _run, st.integers(0, 4 * 96), st.integers(0, 40), st.sampled_from(["p1", "p2", "p3"])
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(
    runs=runs,
    previous_steps=st.none() | st.integers(-96, 96),
    preferred=st.none() | st.sampled_from(["p1", "p2"]),
    limit=st.integers(1, 6),
)
def test_top_is_the_best_of_every_start(
    runs: list[SlotRun], previous_steps: int | None, preferred: str | None, limit: int
) -> None:
    previous = None if previous_steps is None else BASE + timedelta(minutes=GRID * previous_steps)
    ranking = Ranking(BERLIN, preferred_provider=preferred, previous_start=previous)
    every = sorted(
        (ranking.key(start, run.provider_id), start, run.provider_id)
        for run in runs
        for start in run.starts(GRID)
    )
    expected = [(start, provider) for _, start, provider in every[:limit]]
    found = [(slot.starts_at, slot.provider_id) for slot in top(runs, GRID, ranking, limit)]
    assert found == expected


def test_a_run_across_the_autumn_change_is_ranked_by_its_best_start() -> None:
    """00:00-02:00 local on 31 October passes 02:45 +02:00 before 02:00 +01:00: the start
    nearest to a previous 03:00 is 02:45 (summer time, 15 minutes away), which beats a lone
    03:30 +01:00 (30 minutes away) although the run's last start is an hour away."""
    first = datetime(2027, 10, 30, 22, 0, tzinfo=UTC)  # 00:00 +02:00
    across = SlotRun(first, first + timedelta(hours=3), "p1", "room")  # to 02:00 +01:00
    lone = datetime(2027, 10, 31, 2, 30, tzinfo=UTC)  # 03:30 +01:00
    previous = datetime(2027, 10, 29, 1, 0, tzinfo=UTC)  # a Friday, 03:00 +02:00
    ranking = Ranking(BERLIN, preferred_provider=None, previous_start=previous)
    [best] = top([SlotRun(lone, lone, "p1", "room"), across], GRID, ranking, 1)
    assert best.starts_at.astimezone(BERLIN).isoformat() == "2027-10-31T02:45:00+02:00"
