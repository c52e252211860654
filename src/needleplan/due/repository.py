"""The due list's queries: one page of (due date, plan, reason) keys, chosen and ordered by the
database, then the page's plans and courses, whatever the page size.

Which plans are due and when (docs/domain.md#due-list-and-maintenance) is written once here in
SQL, so the database pages it: a due date is a local date in each plan's location's zone
(``local_date``), a number of days (``add_days``) or calendar months (``add_months``) after
one. PostgreSQL computes these with its own time-zone database; SQLite has none, so there they
are Python functions (the same rules as ``due/rules.py``) registered on the connection.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    String,
    case,
    func,
    literal,
    or_,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from needleplan.db import UTCDateTime
from needleplan.due.rules import DueReason, add_months
from needleplan.kit.statuses import PlanStatus
from needleplan.models import Location, TreatmentPlan, TreatmentSession
from needleplan.plans.course import COUNTING

# The reasons in the order the list sorts them (their names' order).
RANK = {reason: rank for rank, reason in enumerate(sorted(DueReason, key=lambda r: r.value))}
REASON_BY_RANK = {rank: reason for reason, rank in RANK.items()}


class local_date(FunctionElement[date]):  # noqa: N801 - read as a SQL function
    """The local calendar date of an instant in an IANA zone."""

    type = Date()
    inherit_cache = True
    name = "np_local_date"


class add_days(FunctionElement[date]):  # noqa: N801
    type = Date()
    inherit_cache = True
    name = "np_add_days"


class add_months_sql(FunctionElement[date]):  # noqa: N801
    """Calendar months later; the 31st becomes the month's last day when it has fewer."""

    type = Date()
    inherit_cache = True
    name = "np_add_months"


@compiles(local_date, "postgresql")
def _local_date_pg(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    instant, zone = element.clauses
    return (
        f"CAST(timezone({compiler.process(zone, **kw)}, "
        f"CAST({compiler.process(instant, **kw)} AS TIMESTAMP WITH TIME ZONE)) AS DATE)"
    )


@compiles(add_days, "postgresql")
def _add_days_pg(element: add_days, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = element.clauses
    return f"({compiler.process(day, **kw)} + CAST({compiler.process(days, **kw)} AS INTEGER))"


@compiles(add_months_sql, "postgresql")
def _add_months_pg(element: add_months_sql, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL keeps the day of the month, or the month's last day when it has fewer.
    day, months = element.clauses
    return (
        f"CAST({compiler.process(day, **kw)} + "
        f"make_interval(months => CAST({compiler.process(months, **kw)} AS INTEGER)) AS DATE)"
    )


@compiles(local_date)
@compiles(add_days)
@compiles(add_months_sql)
def _registered(element: FunctionElement[date], compiler: SQLCompiler, **kw: Any) -> str:
    return f"{element.name}({compiler.process(element.clauses, **kw)})"


def _sqlite_local_date(instant: str | None, zone: str | None) -> str | None:
    if instant is None or zone is None:
        return None
    moment = datetime.fromisoformat(instant).replace(tzinfo=UTC)  # stored as naive UTC text
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def _sqlite_add_days(day: str | None, days: int | None) -> str | None:
    if day is None or days is None:
        return None
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _sqlite_add_months(day: str | None, months: int | None) -> str | None:
    if day is None or months is None:
        return None
    return add_months(date.fromisoformat(day), months).isoformat()


_REGISTERED = "needleplan.due_functions"


def register_functions(db: Session) -> None:
    """Give this SQLite connection the three functions (once per connection)."""
    connection = db.connection()
    if connection.dialect.name != "sqlite":
        return
    pooled = connection.connection
    if pooled.info.get(_REGISTERED):
        return
    raw: Any = pooled.driver_connection
    raw.create_function("np_local_date", 2, _sqlite_local_date, deterministic=True)
    raw.create_function("np_add_days", 2, _sqlite_add_days, deterministic=True)
    raw.create_function("np_add_months", 2, _sqlite_add_months, deterministic=True)
    pooled.info[_REGISTERED] = True


@dataclass(frozen=True)
class DueKey:
    due_date: date
    plan_id: str
    reason: DueReason


def due_page(
    db: Session,
    *,
    now: datetime,
    within_days: int,
    maintenance_months: int,
    after: DueKey | None,
    limit: int,
) -> list[DueKey]:
    """Up to ``limit`` due keys after ``after``, by due date, plan id, reason: one statement."""
    register_functions(db)
    plan, location = TreatmentPlan, Location
    course = (
        select(
            col(TreatmentSession.plan_id).label("plan_id"),
            func.count().label("sessions"),
            type_coerce(func.max(col(TreatmentSession.starts_at)), UTCDateTime()).label(
                "last_start"
            ),
            func.max(case((col(TreatmentSession.needs_reschedule), 1), else_=0)).label("flagged"),
        )
        .where(
            col(TreatmentSession.plan_id).is_not(None),
            col(TreatmentSession.status).in_(COUNTING),
        )
        .group_by(col(TreatmentSession.plan_id))
        .cte("course")
    )
    zone = col(location.time_zone)
    today = local_date(literal(now, UTCDateTime()), zone)
    horizon_end = add_days(today, literal(within_days, Integer()))
    next_opens = case(
        (course.c.sessions.is_(None), today),
        else_=add_days(local_date(course.c.last_start, zone), col(plan.min_interval_days)),
    )
    maintenance_on = add_months_sql(
        local_date(col(plan.completed_at), zone), literal(maintenance_months, Integer())
    )

    def branch(reason: DueReason, due: Any, *conditions: Any) -> Any:
        return (
            select(
                type_coerce(due, Date()).label("due_date"),
                col(plan.id).label("plan_id"),
                literal(RANK[reason], Integer()).label("rank"),
            )
            .select_from(plan)
            .join(location, col(location.id) == col(plan.location_id))
            .outerjoin(course, course.c.plan_id == col(plan.id))
            .where(*conditions)
        )

    due = union_all(
        branch(
            DueReason.needs_reschedule,
            today,
            col(plan.status).in_([PlanStatus.active, PlanStatus.completed]),
            course.c.flagged == 1,
        ),
        branch(
            DueReason.next_session,
            next_opens,
            col(plan.status) == PlanStatus.active,
            or_(course.c.sessions.is_(None), course.c.sessions < col(plan.sessions_planned)),
            next_opens <= horizon_end,
        ),
        branch(
            DueReason.maintenance,
            maintenance_on,
            col(plan.status) == PlanStatus.completed,
            col(plan.completed_at).is_not(None),
            maintenance_on <= horizon_end,
        ),
    ).subquery("due")
    statement = select(due.c.due_date, due.c.plan_id, due.c.rank)
    if after is not None:
        statement = statement.where(
            tuple_(due.c.due_date, due.c.plan_id, due.c.rank)
            > tuple_(
                literal(after.due_date, Date()),
                literal(after.plan_id, String()),
                literal(RANK[after.reason], Integer()),
            )
        )
    rows = db.exec(statement.order_by(due.c.due_date, due.c.plan_id, due.c.rank).limit(limit)).all()
    return [DueKey(row[0], row[1], REASON_BY_RANK[row[2]]) for row in rows]


def plans_with_zones(
    db: Session, plan_ids: Collection[str]
) -> dict[str, tuple[TreatmentPlan, ZoneInfo]]:
    """The plans, each with its location's zone: one statement."""
    if not plan_ids:
        return {}
    rows = db.exec(
        select(TreatmentPlan, col(Location.time_zone))
        .join(Location, col(Location.id) == col(TreatmentPlan.location_id))
        .where(col(TreatmentPlan.id).in_(list(plan_ids)))
    ).all()
    return {plan.id: (plan, ZoneInfo(name)) for plan, name in rows}


def counting_courses(db: Session, plan_ids: Collection[str]) -> dict[str, list[TreatmentSession]]:
    """Each plan's booked, arrived and fulfilled sessions in course order: one statement."""
    found: dict[str, list[TreatmentSession]] = defaultdict(list)
    if not plan_ids:
        return found
    rows = db.exec(
        select(TreatmentSession)
        .where(
            col(TreatmentSession.plan_id).in_(list(plan_ids)),
            col(TreatmentSession.status).in_(COUNTING),
        )
        .order_by(col(TreatmentSession.starts_at), col(TreatmentSession.id))
    ).all()
    for session in rows:
        found[str(session.plan_id)].append(session)
    return found
