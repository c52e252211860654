"""The queries that read plans with their courses: one statement for a whole page of plans,
whatever its size (no query per plan)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from needleplan.kit.pagination import keyset_page
from needleplan.kit.statuses import PlanStatus, SessionStatus
from needleplan.models import TreatmentPlan, TreatmentSession


def page_of_plans(
    db: Session, *, client_id: str | None, status: PlanStatus | None, limit: int, cursor: str | None
) -> tuple[list[TreatmentPlan], str | None]:
    statement = select(TreatmentPlan)
    if client_id is not None:
        statement = statement.where(TreatmentPlan.client_id == client_id)
    if status is not None:
        statement = statement.where(TreatmentPlan.status == status)
    return keyset_page(db, statement, TreatmentPlan.id, limit=limit, cursor=cursor)


# Built once: every course proposal and every booking of a plan's session reads its course,
# and building the statement cost about half as much as running it.
_SESSIONS_OF_PLAN = (
    select(TreatmentSession)
    .where(
        col(TreatmentSession.plan_id) == bindparam("plan_id"),
        col(TreatmentSession.status).in_(bindparam("statuses", expanding=True)),
    )
    .order_by(col(TreatmentSession.starts_at), col(TreatmentSession.id))
)
_SESSIONS_OF_PLAN_EXCLUDING = _SESSIONS_OF_PLAN.where(
    col(TreatmentSession.id) != bindparam("excluding")
)


def sessions_of_plan(
    db: Session,
    plan_id: str,
    statuses: Sequence[SessionStatus],
    *,
    excluding: str | None = None,
) -> list[TreatmentSession]:
    """The plan's sessions in one of ``statuses`` (but ``excluding``), by start, then id."""
    parameters: dict[str, object] = {"plan_id": plan_id, "statuses": list(statuses)}
    statement = _SESSIONS_OF_PLAN
    if excluding is not None:
        statement = _SESSIONS_OF_PLAN_EXCLUDING
        parameters["excluding"] = excluding
    return list(db.exec(statement, params=parameters).all())


def sessions_by_plan(db: Session, plan_ids: Collection[str]) -> dict[str, list[TreatmentSession]]:
    """Every session of the plans, each plan's in course order (start, then id)."""
    found: dict[str, list[TreatmentSession]] = defaultdict(list)
    if not plan_ids:
        return found
    rows = db.exec(
        select(TreatmentSession)
        .where(col(TreatmentSession.plan_id).in_(list(plan_ids)))
        .order_by(col(TreatmentSession.starts_at), col(TreatmentSession.id))
    ).all()
    for session in rows:
        found[str(session.plan_id)].append(session)
    return found
