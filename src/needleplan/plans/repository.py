"""The queries that read plans with their courses: one statement for a whole page of plans,
whatever its size (no query per plan)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlmodel import Session, col, select

from needleplan.models import TreatmentSession


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
