"""A plan's course as the booking engine sees it: which session is which, whether a booking
fits its follow-up window, and re-flagging later sessions when an earlier one moves.

This module is the booking engine's ``PlanCourse`` (sessions/plan_course.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from needleplan.events.outbox import emit
from needleplan.kit.crud import bump_version
from needleplan.kit.statuses import PlanStatus, SessionStatus
from needleplan.kit.time import utc_now
from needleplan.locations.service import zone_of
from needleplan.models import TreatmentPlan, TreatmentSession
from needleplan.plans import repository
from needleplan.plans.problems import (
    IntervalViolation,
    PlanFull,
    PlanNotActive,
    full_detail,
    not_active_detail,
)
from needleplan.plans.windows import CourseSession, Window, out_of_window, window_after

COUNTING = (SessionStatus.booked, SessionStatus.arrived, SessionStatus.fulfilled)


def counting_sessions(
    db: Session, plan_id: str, *, excluding: str | None = None
) -> list[TreatmentSession]:
    """Session k is the k-th booked, arrived or fulfilled session of the plan by start time."""
    return repository.sessions_of_plan(db, plan_id, COUNTING, excluding=excluding)


def window_dict(window: Window, zone: ZoneInfo) -> dict[str, object]:
    return {
        "session_number": window.number,
        "earliest_date": window.earliest_date.isoformat(),
        "latest_date": window.latest_date.isoformat(),
        "starts_at": window.starts_at.astimezone(zone).isoformat(),
        "ends_at": window.ends_at.astimezone(zone).isoformat(),
    }


def check_takes_bookings(plan: TreatmentPlan) -> None:
    """Only an active plan takes bookings: 409 ``plan-not-active`` for a draft, cancelled or
    completed one (the one check for a booking, a course proposal and next slots)."""
    if plan.status is not PlanStatus.active:
        raise PlanNotActive(not_active_detail(plan.status))


def check_plan_booking(
    db: Session,
    plan: TreatmentPlan,
    starts_at: datetime,
    *,
    override_reason: str | None,
    moving_session_id: str | None = None,
) -> None:
    """Plan state and window, after eligibility and before the slot grid
    (docs/domain.md#booking-checks)."""
    check_takes_bookings(plan)
    others = counting_sessions(db, plan.id, excluding=moving_session_id)
    if len(others) >= plan.sessions_planned:
        raise PlanFull(full_detail(plan.sessions_planned))
    earlier = [s for s in others if s.starts_at < starts_at]
    if not earlier or override_reason:
        return
    zone = zone_of(db, plan.location_id)
    window = window_after(
        earlier[-1].starts_at,
        len(earlier) + 1,
        zone,
        plan.min_interval_days,
        plan.max_interval_days,
    )
    if not window.contains(starts_at, zone):
        raise IntervalViolation(
            f"Session {window.number} of this plan belongs between {window.earliest_date} and "
            f"{window.latest_date}.",
            window=window_dict(window, zone),
        )


def reflag(db: Session, plan: TreatmentPlan) -> None:
    """Re-evaluate the plan's later sessions after a change: those now outside their window are
    flagged ``needs_reschedule``; nothing is moved or cancelled."""
    sessions = counting_sessions(db, plan.id)
    zone = zone_of(db, plan.location_id)
    flagged = out_of_window(
        [
            CourseSession(s.id, s.starts_at, s.interval_override_reason is not None)
            for s in sessions
        ],
        zone,
        plan.min_interval_days,
        plan.max_interval_days,
    )
    for session in sessions:
        window = flagged.get(session.id) if session.status is SessionStatus.booked else None
        earliest = window.earliest_date if window else None
        latest = window.latest_date if window else None
        if (session.needs_reschedule, session.window_earliest_date, session.window_latest_date) != (
            window is not None,
            earliest,
            latest,
        ):
            if window is not None and not session.needs_reschedule:
                emit(db, "session.needs_reschedule", "session", session.id)
            session.needs_reschedule = window is not None
            session.window_earliest_date = earliest
            session.window_latest_date = latest
            bump_version(session)
    db.flush()


def complete_if_done(db: Session, plan: TreatmentPlan) -> None:
    """A plan completes when its last planned session is fulfilled."""
    fulfilled = [s for s in counting_sessions(db, plan.id) if s.status is SessionStatus.fulfilled]
    if plan.status is PlanStatus.active and len(fulfilled) >= plan.sessions_planned:
        plan.status = PlanStatus.completed
        plan.completed_at = utc_now()
        bump_version(plan)
        emit(db, "plan.completed", "treatment_plan", plan.id)
        db.flush()
