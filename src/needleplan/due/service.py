"""The due list: plans whose next session, rescheduling or maintenance is due."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from needleplan.config import Settings
from needleplan.due import repository
from needleplan.due.rules import CourseState, Due, DueReason, due_items
from needleplan.due.schemas import DueItem
from needleplan.kit.localtime import local_day_bounds
from needleplan.kit.pagination import decode_cursor, encode_cursor
from needleplan.kit.time import utc_now
from needleplan.models import TreatmentSession
from needleplan.plans.service import window_read
from needleplan.plans.windows import Window
from needleplan.problems import MalformedRequest


def due_list(
    db: Session, settings: Settings, *, within_days: int, limit: int, cursor: str | None
) -> tuple[list[DueItem], str | None]:
    """One page of the due list, paged by the database on its order (due date, plan, reason):
    three statements whatever the page size. The page's items get their windows and sessions
    from the plans' courses through the pure rule (``due/rules.py``)."""
    now = utc_now()
    keys = repository.due_page(
        db,
        now=now,
        within_days=within_days,
        maintenance_months=settings.maintenance_after_months,
        after=_decode(cursor) if cursor is not None else None,
        limit=limit + 1,
    )
    page = keys[:limit]
    plan_ids = {key.plan_id for key in page}
    plans = repository.plans_with_zones(db, plan_ids)
    courses = repository.counting_courses(db, plan_ids)
    found: dict[tuple[str, DueReason], Due] = {}
    for plan, zone in plans.values():
        today = now.astimezone(zone).date()
        course = courses.get(plan.id, [])
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
        horizon_end = today + timedelta(days=within_days)
        for item in due_items(state, zone, today, horizon_end, settings.maintenance_after_months):
            found[plan.id, item.reason] = item
    rows: list[DueItem] = []
    for key in page:
        plan, zone = plans[key.plan_id]
        # The database's zone rules decided the page; they agree with Python's but for a
        # tzdata difference, where the database's due date stands.
        item = found.get((key.plan_id, key.reason), Due(key.reason, key.due_date))
        rows.append(
            DueItem(
                reason=key.reason,
                due_date=key.due_date,
                client_id=plan.client_id,
                plan_id=plan.id,
                window=window_read(item.window, zone) if item.window else None,
                session_ids=list(item.session_ids),
            )
        )
    next_cursor = encode_cursor(_encode(page[-1])) if len(keys) > limit else None
    return rows, next_cursor


def _encode(key: repository.DueKey) -> list[str]:
    return [key.due_date.isoformat(), key.plan_id, key.reason.value]


def _decode(cursor: str) -> repository.DueKey:
    due_date, plan_id, reason = decode_cursor(cursor, 3)
    try:
        return repository.DueKey(date.fromisoformat(due_date), plan_id, DueReason(reason))
    except ValueError as exc:
        raise MalformedRequest("The cursor is not one this API produced.") from exc


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
