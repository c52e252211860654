"""Who is due (docs/domain.md#due-list-and-maintenance). Pure: a plan's course in, the reason
it is due out."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from needleplan.kit.statuses import PlanStatus
from needleplan.plans.windows import Window, window_after


class DueReason(StrEnum):
    next_session = "next_session"
    needs_reschedule = "needs_reschedule"
    maintenance = "maintenance"


@dataclass(frozen=True)
class CourseState:
    status: PlanStatus  # the plan's
    sessions_planned: int
    min_interval_days: int
    max_interval_days: int
    counting_starts: Sequence[datetime]  # booked, arrived, fulfilled, by start
    rescheduling: Sequence[str]  # ids of sessions flagged needs_reschedule
    completed_at: datetime | None
    # The window the first of them should move into (the later ones follow from where it goes).
    reschedule_window: Window | None = None


@dataclass(frozen=True)
class Due:
    reason: DueReason
    due_date: date
    window: Window | None = None
    session_ids: tuple[str, ...] = ()


def add_months(day: date, months: int) -> date:
    """Calendar months later; the 31st becomes the month's last day when it has fewer."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_items(
    state: CourseState, zone: ZoneInfo, today: date, horizon_end: date, maintenance_months: int
) -> list[Due]:
    """Why a plan is due by ``horizon_end`` (local dates), possibly for several reasons."""
    items: list[Due] = []
    if state.rescheduling:
        items.append(
            Due(
                DueReason.needs_reschedule,
                today,
                window=state.reschedule_window,
                session_ids=tuple(state.rescheduling),
            )
        )
    # docs/domain.md#due-list-and-maintenance: the next *unbooked* session's window, whatever
    # is booked before it.
    if state.status is PlanStatus.active and len(state.counting_starts) < state.sessions_planned:
        if not state.counting_starts:
            items.append(Due(DueReason.next_session, today))
        else:
            window = window_after(
                state.counting_starts[-1],
                len(state.counting_starts) + 1,
                zone,
                state.min_interval_days,
                state.max_interval_days,
            )
            if window.earliest_date <= horizon_end:
                items.append(Due(DueReason.next_session, window.earliest_date, window=window))
    if state.status is PlanStatus.completed and state.completed_at is not None:
        due_on = add_months(state.completed_at.astimezone(zone).date(), maintenance_months)
        if due_on <= horizon_end:
            items.append(Due(DueReason.maintenance, due_on))
    return items
