"""Queries of the screening domain."""

from __future__ import annotations

from sqlmodel import Session, col, select

from needleplan.models import (
    ConditionRetraction,
    EligibilityOverride,
    Screening,
    ScreeningCondition,
)
from needleplan.screening.catalogue import CONTRAINDICATION
from needleplan.screening.eligibility import Condition, Override, Retraction, ScreeningFacts


def condition_catalogue(db: Session) -> dict[str, Condition]:
    return {
        row.code: Condition(row.code, row.name, row.kind == CONTRAINDICATION, row.temporary)
        for row in db.exec(select(ScreeningCondition)).all()
    }


def screening_facts(db: Session, client_id: str) -> list[ScreeningFacts]:
    rows = db.exec(select(Screening).where(Screening.client_id == client_id)).all()
    return [
        ScreeningFacts(r.id, r.screened_on, r.recorded_at, frozenset(r.conditions)) for r in rows
    ]


def retractions(db: Session, client_id: str) -> list[Retraction]:
    rows = db.exec(
        select(ConditionRetraction).where(ConditionRetraction.client_id == client_id)
    ).all()
    return [Retraction(r.condition_code, r.created_at) for r in rows]


def overrides(db: Session, client_id: str) -> list[Override]:
    rows = db.exec(
        select(EligibilityOverride)
        .where(EligibilityOverride.client_id == client_id)
        .order_by(col(EligibilityOverride.id))
    ).all()
    return [Override(r.id, frozenset(r.codes), r.expires_on, r.created_by_key_id) for r in rows]
