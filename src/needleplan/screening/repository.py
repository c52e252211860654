"""Queries of the screening domain. Batched by client, so a page of sessions costs a fixed
number of queries whatever its size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

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
