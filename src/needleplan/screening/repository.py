"""Queries of the screening domain. Batched by client, so a page of sessions costs a fixed
number of queries whatever its size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import (
    Client,
    ConditionRetraction,
    EligibilityOverride,
    Screening,
    ScreeningCondition,
)
from needleplan.screening.catalogue import CONTRAINDICATION
from needleplan.screening.eligibility import Condition, Override, Retraction, ScreeningFacts


@dataclass
class ClientRecord:
    """Everything the eligibility rule needs about one client."""

    date_of_birth: date
    screenings: list[ScreeningFacts] = field(default_factory=list)
    retractions: list[Retraction] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)


def catalogue_is_empty(db: Session) -> bool:
    return db.exec(select(ScreeningCondition.code).limit(1)).first() is None


def page_of_conditions(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[ScreeningCondition], str | None]:
    return keyset_page(
        db, select(ScreeningCondition), ScreeningCondition.code, limit=limit, cursor=cursor
    )


def page_of_screenings(
    db: Session, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[Screening], str | None]:
    """The client's screenings, newest first."""
    statement = select(Screening).where(Screening.client_id == client_id)
    return keyset_page(
        db,
        statement,
        Screening.screened_on,
        Screening.id,
        limit=limit,
        cursor=cursor,
        descending=True,
    )


def latest_screening_date(db: Session, client_id: str) -> date | None:
    return db.exec(
        select(col(Screening.screened_on))
        .where(Screening.client_id == client_id)
        .order_by(col(Screening.screened_on).desc())
    ).first()


def page_of_overrides(
    db: Session, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[EligibilityOverride], str | None]:
    statement = select(EligibilityOverride).where(col(EligibilityOverride.client_id) == client_id)
    return keyset_page(db, statement, EligibilityOverride.id, limit=limit, cursor=cursor)


def condition_catalogue(db: Session) -> dict[str, Condition]:
    return {
        row.code: Condition(row.code, row.name, row.kind == CONTRAINDICATION, row.temporary)
        for row in db.exec(select(ScreeningCondition)).all()
    }


def client_records(db: Session, client_ids: Collection[str]) -> dict[str, ClientRecord]:
    """The records of the clients that exist among ``client_ids``."""
    ids = list(set(client_ids))
    records = {
        client_id: ClientRecord(born)
        for client_id, born in db.exec(
            select(col(Client.id), col(Client.date_of_birth)).where(col(Client.id).in_(ids))
        ).all()
    }
    if not records:
        return records
    for screening in db.exec(select(Screening).where(col(Screening.client_id).in_(ids))).all():
        records[screening.client_id].screenings.append(
            ScreeningFacts(
                screening.id,
                screening.screened_on,
                screening.recorded_at,
                frozenset(screening.conditions),
            )
        )
    for retraction in db.exec(
        select(ConditionRetraction).where(col(ConditionRetraction.client_id).in_(ids))
    ).all():
        records[retraction.client_id].retractions.append(
            Retraction(retraction.condition_code, retraction.created_at)
        )
    by_client: dict[str, list[EligibilityOverride]] = defaultdict(list)
    for override in db.exec(
        select(EligibilityOverride)
        .where(col(EligibilityOverride.client_id).in_(ids))
        .order_by(col(EligibilityOverride.id))
    ).all():
        by_client[override.client_id].append(override)
    for client_id, rows in by_client.items():
        records[client_id].overrides = [
            Override(r.id, frozenset(r.codes), r.expires_on, r.created_by_key_id) for r in rows
        ]
    return records
