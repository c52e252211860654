"""Queries of the screening domain. Batched by client, so a page of sessions costs a fixed
number of queries whatever its size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, bindparam, event
from sqlalchemy import select as core_select
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, func, select

from needleplan.kit.pagination import keyset_page
from needleplan.kit.versioned_cache import VersionedCache
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


# Read once per change of the catalogue, in any process (kit/versioned_cache.py).
CATALOGUE: VersionedCache[dict[str, Condition]] = VersionedCache("screening_conditions")


_VERSION_READ = "needleplan.screening.catalogue_version"


@event.listens_for(ScreeningCondition, "before_insert")
@event.listens_for(ScreeningCondition, "before_update")
def _catalogue_written(_mapper: Any, _connection: Any, condition: ScreeningCondition) -> None:
    """A transaction that writes the catalogue reads it directly from then on: what it sees may
    still roll back, so it must not be cached."""
    db = object_session(condition)
    if db is not None:
        CATALOGUE.mark_written(db)


def condition_catalogue(db: Session) -> dict[str, Condition]:
    """The catalogue by code (shared between requests: never change the answer). Its version is
    read once per transaction (with the clients, by ``client_records``, or here): a transaction
    sees one catalogue however often it asks (a booking asks again when it renders its event)."""
    version = _version_read(db)
    if version is None:
        version = catalogue_version(db)
        _remember_version(db, version)
    return CATALOGUE.get(db, version, lambda: _catalogue(db))


def _version_read(db: Session) -> tuple[Any, ...] | None:
    transaction, version = db.info.get(_VERSION_READ, (None, None))
    return version if transaction is db.get_transaction() else None


def _remember_version(db: Session, version: tuple[Any, ...]) -> None:
    db.info[_VERSION_READ] = (db.get_transaction(), version)


def _version_columns() -> list[Any]:
    """What changes whenever the catalogue does: a row added (count, latest creation) or edited
    (every edit bumps its row's version and ``updated_at``). Aggregates over ~20 rows."""
    return [
        select(aggregate).scalar_subquery()
        for aggregate in (
            func.count(col(ScreeningCondition.code)),
            func.sum(col(ScreeningCondition.version)),
            func.max(col(ScreeningCondition.created_at)),
            func.max(col(ScreeningCondition.updated_at)),
        )
    ]


# Eligibility's statements, built once; ``ids`` is bound per call.
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_CATALOGUE_VERSION = core_select(*_version_columns())
_BIRTH_DATES = core_select(col(Client.id), col(Client.date_of_birth)).where(
    col(Client.id).in_(_IDS)
)
_BIRTH_DATES_AND_VERSION = core_select(
    col(Client.id), col(Client.date_of_birth), *_version_columns()
).where(col(Client.id).in_(_IDS))
_SCREENINGS = core_select(
    col(Screening.client_id),
    col(Screening.id),
    col(Screening.screened_on),
    col(Screening.recorded_at),
    col(Screening.conditions),
).where(col(Screening.client_id).in_(_IDS))
_RETRACTIONS = core_select(
    col(ConditionRetraction.client_id),
    col(ConditionRetraction.condition_code),
    col(ConditionRetraction.created_at),
).where(col(ConditionRetraction.client_id).in_(_IDS))
_OVERRIDES = (
    core_select(
        col(EligibilityOverride.client_id),
        col(EligibilityOverride.id),
        col(EligibilityOverride.codes),
        col(EligibilityOverride.expires_on),
        col(EligibilityOverride.created_by_key_id),
    )
    .where(col(EligibilityOverride.client_id).in_(_IDS))
    .order_by(col(EligibilityOverride.id))
)


def catalogue_version(db: Session) -> tuple[Any, ...]:
    return tuple(db.execute(_CATALOGUE_VERSION).one())


def _catalogue(db: Session) -> dict[str, Condition]:
    return {
        code: Condition(code, name, kind == CONTRAINDICATION, temporary)
        for code, name, kind, temporary in db.exec(
            select(
                col(ScreeningCondition.code),
                col(ScreeningCondition.name),
                col(ScreeningCondition.kind),
                col(ScreeningCondition.temporary),
            )
        ).all()
    }


def client_records(db: Session, client_ids: Collection[str]) -> dict[str, ClientRecord]:
    """The records of the clients that exist among ``client_ids``.

    A client the transaction has already loaded (a booking has) is not read again. The
    condition catalogue's version comes with the clients' birth dates, in one statement, for
    the ``condition_catalogue`` call that follows (``screening.service.verdicts``)."""
    ids = list(set(client_ids))
    records: dict[str, ClientRecord] = {}
    for client_id in ids:
        loaded = db.identity_map.get(db.identity_key(Client, client_id))
        if isinstance(loaded, Client):
            records[client_id] = ClientRecord(loaded.date_of_birth)
    missing = [client_id for client_id in ids if client_id not in records]
    if missing:
        with_version = _version_read(db) is None
        statement = _BIRTH_DATES_AND_VERSION if with_version else _BIRTH_DATES
        for client_id, born, *aggregates in db.execute(statement, {"ids": missing}).all():
            records[client_id] = ClientRecord(born)
            if aggregates:
                _remember_version(db, tuple(aggregates))
    if not records:
        return records
    by_ids = {"ids": ids}
    for client_id, screening_id, screened_on, recorded_at, conditions in db.execute(
        _SCREENINGS, by_ids
    ).all():
        records[client_id].screenings.append(
            ScreeningFacts(screening_id, screened_on, recorded_at, frozenset(conditions))
        )
    for client_id, code, created_at in db.execute(_RETRACTIONS, by_ids).all():
        records[client_id].retractions.append(Retraction(code, created_at))
    by_client: dict[str, list[Override]] = defaultdict(list)
    for client_id, override_id, codes, expires_on, created_by in db.execute(
        _OVERRIDES, by_ids
    ).all():
        by_client[client_id].append(Override(override_id, frozenset(codes), expires_on, created_by))
    for client_id, overrides in by_client.items():
        records[client_id].overrides = overrides
    return records
