"""The due list: plans whose next session, rescheduling or maintenance is due."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from needleplan.config import Settings
from needleplan.due.rules import CourseState, due_items
from needleplan.due.schemas import DueItem
from needleplan.kit.localtime import local_day_bounds
from needleplan.kit.pagination import decode_cursor, encode_cursor
from needleplan.kit.time import utc_now
from needleplan.models import Location, TreatmentPlan, TreatmentSession
from needleplan.plans.course import COUNTING
from needleplan.plans.service import window_read
from needleplan.plans.windows import Window


def due_list(
    db: Session, settings: Settings, *, within_days: int, limit: int, cursor: str | None
) -> tuple[list[DueItem], str | None]:
    plans = db.exec(
        select(TreatmentPlan).where(col(TreatmentPlan.status).in_(["active", "completed"]))
    ).all()
    plan_ids = [p.id for p in plans]
    sessions: dict[str, list[TreatmentSession]] = defaultdict(list)
    for session in db.exec(
        select(TreatmentSession)
        .where(
            col(TreatmentSession.plan_id).in_(plan_ids), col(TreatmentSession.status).in_(COUNTING)
        )
        .order_by(col(TreatmentSession.starts_at), col(TreatmentSession.id))
    ).all():
        sessions[str(session.plan_id)].append(session)
    zones = {
        location_id: ZoneInfo(name)
        for location_id, name in db.exec(select(col(Location.id), col(Location.time_zone))).all()
    }
    now = utc_now()
    rows: list[DueItem] = []
    for plan in plans:
        zone = zones[plan.location_id]
        today = now.astimezone(zone).date()
        course = sessions.get(plan.id, [])
        state = CourseState(
            status=plan.status,
            sessions_planned=plan.sessions_planned,
            min_interval_days=plan.min_interval_days,
            max_interval_days=plan.max_interval_days,
            counting_starts=[s.starts_at for s in course],
            rescheduling=[s.id for s in course if s.needs_reschedule],
            completed_at=plan.completed_at,
            reschedule_window=_reschedule_window(course, zone),
        )
        for item in due_items(
            state,
            zone,
            today,
            today + timedelta(days=within_days),
            settings.maintenance_after_months,
        ):
            rows.append(
                DueItem(
                    reason=item.reason,
                    due_date=item.due_date,
                    client_id=plan.client_id,
                    plan_id=plan.id,
                    window=window_read(item.window, zone) if item.window else None,
                    session_ids=list(item.session_ids),
                )
            )
    rows.sort(key=_key)
    if cursor is not None:
        after = tuple(decode_cursor(cursor, 3))
        rows = [row for row in rows if _key(row) > after]
    page = rows[:limit]
    next_cursor = encode_cursor(list(_key(page[-1]))) if len(rows) > limit else None
    return page, next_cursor


def _reschedule_window(course: list[TreatmentSession], zone: ZoneInfo) -> Window | None:
    """The stored window of the first session flagged ``needs_reschedule`` (sessions in course
    order, so its number is its place in the course)."""
    for number, session in enumerate(course, start=1):
        earliest, latest = session.window_earliest_date, session.window_latest_date
        if session.needs_reschedule and earliest is not None and latest is not None:
            previous = course[number - 2] if number > 1 else session
            return Window(
                number=number,
                earliest_date=earliest,
                latest_date=latest,
                starts_at=local_day_bounds(earliest, zone)[0],
                ends_at=local_day_bounds(latest, zone)[1],
                wall_time=previous.starts_at.astimezone(zone).time().replace(tzinfo=None),
            )
    return None


def _key(row: DueItem) -> tuple[str, str, str]:
    return row.due_date.isoformat(), row.plan_id, row.reason.value
