"""Queries of the screening domain. Batched by client, so a page of sessions costs a fixed
number of queries whatever its size."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, Text, bindparam, cast, event
from sqlalchemy import delete as delete_statement
from sqlalchemy import insert as core_insert
from sqlalchemy import select as core_select
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, func, select

from needleplan.kit.pagination import keyset_page
from needleplan.kit.versioned_cache import VersionedCache
from needleplan.models import (
    Client,
    ConditionRetraction,
    EligibilityOverride,
    EligibilitySummary,
    Screening,
    ScreeningCondition,
)
from needleplan.screening.catalogue import CONTRAINDICATION
from needleplan.screening.eligibility import Condition, Override, Retraction, ScreeningFacts
from needleplan.screening.facts import ClientRecord, decode, encode


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
_SCREENINGS = core_select(
    col(Screening.client_id),
    col(Screening.id),
    col(Screening.screened_on),
    col(Screening.recorded_at),
    col(Screening.conditions),
).where(col(Screening.client_id).in_(_IDS))
# In id order, so a summary's text is the same however often it is rewritten from the same rows.
_SCREENINGS = _SCREENINGS.order_by(col(Screening.id))
_RETRACTIONS = core_select(
    col(ConditionRetraction.client_id),
    col(ConditionRetraction.condition_code),
    col(ConditionRetraction.created_at),
).where(col(ConditionRetraction.client_id).in_(_IDS))
_RETRACTIONS = _RETRACTIONS.order_by(col(ConditionRetraction.id))
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


# A client's birth date with its summary (None: no summary row) and, first in a transaction,
# the condition catalogue's version.
_SUMMARIES = (
    core_select(col(Client.id), col(Client.date_of_birth), col(EligibilitySummary.facts))
    .outerjoin(EligibilitySummary, col(EligibilitySummary.client_id) == col(Client.id))
    .where(col(Client.id).in_(_IDS))
)
_SUMMARIES_AND_VERSION = _SUMMARIES.add_columns(*_version_columns())
# The same for clients the transaction has loaded (a booking has): their summaries alone.
_LOADED_SUMMARIES = core_select(
    col(EligibilitySummary.client_id), col(EligibilitySummary.facts)
).where(col(EligibilitySummary.client_id).in_(_IDS))
_LOADED_SUMMARIES_AND_VERSION = _LOADED_SUMMARIES.add_columns(*_version_columns())

_VERSION_LABELS = (
    "catalogue_count",
    "catalogue_versions",
    "catalogue_created",
    "catalogue_updated",
)


def summary_columns() -> list[Any]:
    """What a read of sessions selects, joining ``clients`` and ``eligibility_summaries`` on
    the session's client, for ``screening.service.verdicts_of_rows``: the birth date, the facts
    as their JSON text (decoded only when no verdict is known for them) and the condition
    catalogue's version (labelled)."""
    return [
        col(Client.date_of_birth).label("client_date_of_birth"),
        cast(col(EligibilitySummary.facts), Text).label("eligibility_facts"),
        *(c.label(name) for c, name in zip(_version_columns(), _VERSION_LABELS, strict=True)),
    ]


def catalogue_written(db: Session) -> bool:
    """Whether ``db``'s transaction wrote the condition catalogue (what it reads may still roll
    back, so nothing derived from it may be cached)."""
    return CATALOGUE.written(db)


def catalogue_version_read(db: Session) -> tuple[Any, ...] | None:
    """The condition catalogue's version this transaction read first, if it read one."""
    return _version_read(db)


def catalogue_version_of_row(columns: Mapping[str, Any]) -> tuple[Any, ...]:
    """The catalogue's version a row read with ``summary_columns`` carries (its mapping)."""
    return tuple(columns[name] for name in _VERSION_LABELS)


def catalogue_version_of_rows(db: Session, rows: Sequence[Any]) -> tuple[Any, ...] | None:
    """The condition catalogue's version this transaction reads: the one it read first, else
    the one ``rows`` (read with ``summary_columns``) carry, which it then keeps."""
    version = _version_read(db)
    if version is None and rows:
        version = tuple(getattr(rows[0], name) for name in _VERSION_LABELS)
        _remember_version(db, version)
    return version


# Summaries a statement of another domain read with ``summary_columns`` for this transaction (a
# booking's references), by client: (birth date, facts text or None), with the transaction.
_KEPT = "needleplan.screening.kept_summaries"


def _kept_summaries(db: Session) -> dict[str, tuple[date, str | None]]:
    transaction, kept = db.info.get(_KEPT, (None, {}))
    if transaction is not db.get_transaction():
        transaction, kept = db.get_transaction(), {}
        db.info[_KEPT] = (transaction, kept)
    summaries: dict[str, tuple[date, str | None]] = kept
    return summaries


def keep_summary(db: Session, client_id: str, row: Any) -> None:
    """Keep the summary ``row`` (read with ``summary_columns``) of the client for this
    transaction's ``client_records``, which then reads nothing for it."""
    catalogue_version_of_rows(db, [row])
    _kept_summaries(db)[client_id] = (row.client_date_of_birth, row.eligibility_facts)


def client_records(
    db: Session, client_ids: Collection[str], stale: Collection[str] = ()
) -> dict[str, ClientRecord]:
    """The records of the clients that exist among ``client_ids``: their birth dates and
    summaries in one statement (which also reads the condition catalogue's version, for the
    ``condition_catalogue`` call that follows in ``screening.service.verdicts``). A client
    without a summary, or whose summary this transaction has yet to rewrite (``stale``), is
    read from its screenings, retractions and overrides."""
    records: dict[str, ClientRecord] = {}
    missing: dict[str, date] = {}
    kept = _kept_summaries(db)
    for client_id in set(client_ids) & kept.keys():
        born, text = kept[client_id]
        if text is None or client_id in stale:
            missing[client_id] = born
        else:
            records[client_id] = decode(born, json.loads(text))
    ids = list(set(client_ids) - kept.keys())
    if not ids:
        records.update(records_from_sources(db, missing))
        return records
    with_version = _version_read(db) is None
    loaded = _loaded_birth_dates(db, ids)
    if len(loaded) == len(ids):
        statement = _LOADED_SUMMARIES_AND_VERSION if with_version else _LOADED_SUMMARIES
        rows = [
            (i, loaded[i], facts, *rest) for i, facts, *rest in db.execute(statement, {"ids": ids})
        ]
        # A loaded client without a summary row is not in the answer.
        answered = {row[0] for row in rows}
        missing.update({i: on for i, on in loaded.items() if i not in answered})
    else:
        statement = _SUMMARIES_AND_VERSION if with_version else _SUMMARIES
        rows = list(db.execute(statement, {"ids": ids}).all())
    for client_id, born, facts, *aggregates in rows:
        if facts is None or client_id in stale:
            missing[client_id] = born
        else:
            records[client_id] = decode(born, facts)
        if aggregates:
            _remember_version(db, tuple(aggregates))
    if missing:
        records.update(records_from_sources(db, missing))
    return records


def _loaded_birth_dates(db: Session, client_ids: list[str]) -> dict[str, date]:
    """The birth dates of the clients the transaction has already loaded (not read again)."""
    born: dict[str, date] = {}
    for client_id in client_ids:
        loaded = db.identity_map.get(db.identity_key(Client, client_id))
        if isinstance(loaded, Client):
            born[client_id] = loaded.date_of_birth
    return born


def records_from_sources(db: Session, birth_dates: dict[str, date]) -> dict[str, ClientRecord]:
    """The records of the clients of ``birth_dates`` from their screenings, retractions and
    overrides themselves (3 statements)."""
    records = {client_id: ClientRecord(born) for client_id, born in birth_dates.items()}
    if not records:
        return records
    by_ids = {"ids": list(records)}
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


# Locks the clients' rows (PostgreSQL) and reads their birth dates, in id order.
_LOCKED_BIRTH_DATES = (
    core_select(col(Client.id), col(Client.date_of_birth))
    .where(col(Client.id).in_(_IDS))
    .order_by(col(Client.id))
)


def write_summaries(db: Session, client_ids: Collection[str]) -> None:
    """Rewrite the summary rows of ``client_ids`` from their screenings, retractions and
    overrides. On PostgreSQL the clients' rows are locked first (in id order): two transactions
    rewriting one client's summary at once then write one after the other, and the second
    reads the first's committed rows (SQLite has one writer anyway)."""
    ids = sorted(set(client_ids))
    statement = _LOCKED_BIRTH_DATES
    if db.get_bind().dialect.name != "sqlite":
        # NO KEY UPDATE: rewrites of one client queue up; bookings referencing it do not.
        statement = statement.with_for_update(key_share=True)
    born = {client_id: on for client_id, on in db.execute(statement, {"ids": ids}).all()}
    records = records_from_sources(db, born)
    db.execute(
        delete_statement(EligibilitySummary).where(col(EligibilitySummary.client_id).in_(ids))
    )
    if records:
        db.execute(
            core_insert(EligibilitySummary),
            [{"client_id": i, "facts": encode(r)} for i, r in records.items()],
        )


def client_ids_after(db: Session, after: str | None, limit: int) -> list[str]:
    """Up to ``limit`` client ids after ``after``, in id order."""
    statement = select(col(Client.id))
    if after is not None:
        statement = statement.where(col(Client.id) > after)
    return list(db.exec(statement.order_by(col(Client.id)).limit(limit)).all())


def clients_without_summary(db: Session, limit: int) -> list[str]:
    return list(
        db.exec(
            select(col(Client.id))
            .outerjoin(EligibilitySummary, col(EligibilitySummary.client_id) == col(Client.id))
            .where(col(EligibilitySummary.client_id).is_(None))
            .order_by(col(Client.id))
            .limit(limit)
        ).all()
    )
