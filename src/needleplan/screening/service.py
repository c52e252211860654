"""Screening use cases: the condition catalogue, questionnaires, eligibility and overrides."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from hashlib import blake2b
from typing import Any

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.config import Settings
from needleplan.events.outbox import renders_row
from needleplan.kit.codes import refuse_bad_codes
from needleplan.kit.crud import apply_changes, get_or_404
from needleplan.kit.etag import require_if_match
from needleplan.kit.versioned_cache import database_of
from needleplan.models import (
    Client,
    ConditionRetraction,
    EligibilityOverride,
    Screening,
    ScreeningCondition,
)
from needleplan.problems import AlreadyExists, ValidationFailed, field_error
from needleplan.screening import repository, summaries
from needleplan.screening.eligibility import (
    REQUIREMENT_CODES,
    SCREENING_EXPIRED,
    Condition,
    Rules,
    Verdict,
    assess,
)
from needleplan.screening.facts import ClientRecord, decode
from needleplan.screening.problems import NotEligible
from needleplan.screening.schemas import (
    OverrideCreate,
    OverrideRead,
    RetractionCreate,
    RetractionRead,
    ScreeningConditionCreate,
    ScreeningConditionRead,
    ScreeningConditionUpdate,
    ScreeningCreate,
    ScreeningRead,
)

Page = tuple[list[ScreeningCondition], str | None]


def check_eligibility(
    db: Session, settings: Settings, caller: Caller, client_id: str, on_date: date
) -> Verdict:
    """Blocks a booking unless accepted by an override; an expired screening only flags it."""
    verdict = verdicts(db, settings, [(client_id, on_date)])[(client_id, on_date)]
    blocking = [
        r
        for r in verdict.reasons
        if r.blocks and r.accepted_by is None and r.code != SCREENING_EXPIRED
    ]
    if blocking:
        if caller.role is Role.integration:
            raise NotEligible("The client cannot be booked on this date.")
        raise NotEligible(
            "The client cannot be booked on this date: "
            + ", ".join(r.code for r in blocking)
            + ".",
            reasons=[{"code": r.code, "kind": r.kind.value, "detail": r.detail} for r in blocking],
        )
    return verdict


def list_conditions(db: Session, *, limit: int, cursor: str | None) -> Page:
    return repository.page_of_conditions(db, limit=limit, cursor=cursor)


def get_condition(db: Session, code: str) -> ScreeningCondition:
    return get_or_404(db, ScreeningCondition, code, what="screening condition")


def create_condition(
    db: Session, caller: Caller, body: ScreeningConditionCreate
) -> ScreeningCondition:
    if db.get(ScreeningCondition, body.code) is not None:
        raise AlreadyExists(f"A screening condition with code {body.code!r} already exists.")
    if body.code in REQUIREMENT_CODES:
        raise ValidationFailed(
            f"{body.code!r} is reserved for an eligibility requirement.",
            [field_error("body", "code", "Reserved for an eligibility requirement.", "reserved")],
        )
    condition = ScreeningCondition(**body.model_dump())
    db.add(condition)
    db.flush()
    record(db, caller, "create", "screening_condition", condition.code)
    return condition


def update_condition(
    db: Session, caller: Caller, code: str, body: ScreeningConditionUpdate, if_match: str | None
) -> ScreeningCondition:
    condition = get_or_404(
        db, ScreeningCondition, code, what="screening condition", for_update=True
    )
    require_if_match(if_match, condition.version)
    apply_changes(condition, body.model_dump(exclude_unset=True))
    db.flush()
    record(db, caller, "update", "screening_condition", condition.code)
    return condition


def _refuse_unknown(
    codes: Sequence[str], known: Iterable[str], *, field: str, single: bool = False
) -> None:
    refuse_bad_codes(
        codes,
        set(known),
        field=field,
        what="a known code",
        summary="Unknown codes",
        unknown="unknown_code",
        single=single,
    )


def _client(db: Session, client_id: str) -> Client:
    return get_or_404(db, Client, client_id, what="client")


def record_screening(
    db: Session, caller: Caller, client_id: str, body: ScreeningCreate
) -> Screening:
    _refuse_unknown(body.conditions, repository.condition_catalogue(db), field="conditions")
    _client(db, client_id)
    screening = Screening(
        client_id=client_id,
        screened_on=body.screened_on,
        conditions=sorted(set(body.conditions)),
        medications=body.medications,
        notes=body.notes,
        recorded_by_key_id=caller.key_id,
    )
    db.add(screening)
    db.flush()
    summaries.follow(db, client_id)
    record(db, caller, "create", "screening", screening.id)
    return screening


def list_screenings(
    db: Session, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[Screening], str | None]:
    _client(db, client_id)
    return repository.page_of_screenings(db, client_id, limit=limit, cursor=cursor)


def rules_from(settings: Settings) -> Rules:
    return Rules(
        validity_days=settings.screening_validity_days,
        minimum_age_years=settings.minimum_age_years,
    )


def verdicts(
    db: Session,
    settings: Settings,
    asked: Iterable[tuple[str, date]],
    records: Mapping[str, ClientRecord] | None = None,
) -> dict[tuple[str, date], Verdict]:
    """Eligibility for each (client, date) asked, in a fixed number of queries (one: the
    clients' summaries); ``records`` are those already read (``records_from_rows``)."""
    asked = list(asked)
    if records is None:
        records = repository.client_records(
            db, {client_id for client_id, _ in asked}, stale=summaries.stale(db)
        )
    catalogue = repository.condition_catalogue(db)
    rules = rules_from(settings)
    return {
        (client_id, on): _assess(records[client_id], on, catalogue, rules)
        for client_id, on in asked
        if client_id in records
    }


def _assess(
    record: ClientRecord, on: date, catalogue: Mapping[str, Condition], rules: Rules
) -> Verdict:
    return assess(
        on=on,
        date_of_birth=record.date_of_birth,
        screenings=record.screenings,
        retractions=record.retractions,
        overrides=record.overrides,
        catalogue=catalogue,
        rules=rules,
    )


# Verdicts already decided, by everything they depend on: the database, the condition
# catalogue's version and the rules (the outer key), then a digest of the summary's JSON text,
# the birth date and the date asked. The key holds the facts themselves, so an entry can never be
# stale, in any process; reading a page again only skips decoding and the rule. Never filled by
# a transaction that wrote the catalogue (it may roll back). Cleared whole when full.
_VERDICTS: dict[tuple[Any, ...], dict[tuple[bytes, date | None, date], Verdict]] = {}
_VERDICTS_KEPT = 20_000


def verdicts_of_rows(
    db: Session, settings: Settings, asked: Sequence[tuple[Any, date]]
) -> dict[tuple[str, date], Verdict]:
    """Eligibility for each (row, date) asked, the rows read with
    ``repository.summary_columns`` (sessions' reads): from the summaries they carry, without a
    further statement unless a client has no summary or this transaction changed its facts."""
    rows = [row for row, _ in asked]
    version = repository.catalogue_version_of_rows(db, rows)
    stale = summaries.stale(db)
    rules = rules_from(settings)
    found: dict[tuple[str, date], Verdict] = {}
    unsummarised: list[tuple[Any, date]] = []
    catalogue: dict[str, Condition] | None = None
    cached = not repository.catalogue_written(db)
    if sum(len(kept) for kept in _VERDICTS.values()) >= _VERDICTS_KEPT:
        _VERDICTS.clear()
    kept = _VERDICTS.setdefault((database_of(db), version, rules), {}) if cached else {}
    for row, on in asked:
        # By the row's mapping: a page asks for 50, and attribute access costs several times more.
        columns = row._mapping
        client_id, facts = columns["client_id"], columns["eligibility_facts"]
        if facts is None or client_id in stale:
            unsummarised.append((row, on))
            continue
        date_of_birth = columns["client_date_of_birth"]
        key = (blake2b(facts.encode(), digest_size=16).digest(), date_of_birth, on)
        verdict = kept.get(key)
        if verdict is None:
            if catalogue is None:
                catalogue = repository.condition_catalogue(db)
            record = decode(date_of_birth, json.loads(facts))
            verdict = kept[key] = _assess(record, on, catalogue, rules)
        found[(client_id, on)] = verdict
    if unsummarised:
        records = repository.records_from_sources(
            db, {row.client_id: row.client_date_of_birth for row, _ in unsummarised}
        )
        asked_again = [(row.client_id, on) for row, on in unsummarised]
        found.update(verdicts(db, settings, asked_again, records))
    return found


def verdicts_fixed_by_rows(db: Session, rows: Sequence[Any]) -> list[bool]:
    """For each row read with ``repository.summary_columns`` (sessions' reads), whether its
    columns alone fix the client's verdict on any date under given rules, so that what is
    derived from the verdict may be kept by the row's values: the row carries the client's
    summary (facts, birth date) and the catalogue's version this transaction decides with, and
    this transaction changed neither that client's facts nor the catalogue (either may still
    roll back)."""
    if repository.catalogue_written(db):
        return [False] * len(rows)
    stale = summaries.stale(db)
    decided_with = repository.catalogue_version_read(db)
    fixed = []
    for row in rows:
        columns = row._mapping
        fixed.append(
            columns["eligibility_facts"] is not None
            and columns["client_id"] not in stale
            and (
                decided_with is None or decided_with == repository.catalogue_version_of_row(columns)
            )
        )
    return fixed


def keep_summary(db: Session, client_id: str, row: Any) -> None:
    """A client's summary read by another statement of this transaction (a booking's
    references, with ``repository.summary_columns``): eligibility reads nothing more for it."""
    repository.keep_summary(db, client_id, row)


def eligibility(db: Session, settings: Settings, client_id: str, on: date) -> Verdict:
    _client(db, client_id)
    return verdicts(db, settings, [(client_id, on)])[(client_id, on)]


def create_override(
    db: Session, caller: Caller, client_id: str, body: OverrideCreate
) -> EligibilityOverride:
    known = [*repository.condition_catalogue(db), *REQUIREMENT_CODES]
    _refuse_unknown(body.codes, known, field="codes")
    _client(db, client_id)
    override = EligibilityOverride(
        client_id=client_id,
        codes=sorted(set(body.codes)),
        reason=body.reason,
        expires_on=body.expires_on,
        created_by_key_id=caller.key_id,
    )
    db.add(override)
    db.flush()
    summaries.follow(db, client_id)
    record(db, caller, "create", "eligibility_override", override.id)
    return override


def list_overrides(
    db: Session, client_id: str, *, limit: int, cursor: str | None
) -> tuple[list[EligibilityOverride], str | None]:
    _client(db, client_id)
    return repository.page_of_overrides(db, client_id, limit=limit, cursor=cursor)


def retract_condition(
    db: Session, caller: Caller, client_id: str, body: RetractionCreate
) -> ConditionRetraction:
    _refuse_unknown([body.code], repository.condition_catalogue(db), field="code", single=True)
    _client(db, client_id)
    retraction = ConditionRetraction(
        client_id=client_id,
        condition_code=body.code,
        reason=body.reason,
        created_by_key_id=caller.key_id,
    )
    db.add(retraction)
    db.flush()
    summaries.follow(db, client_id)
    record(db, caller, "create", "condition_retraction", retraction.id)
    return retraction


renders_row("screening_condition", ScreeningCondition, ScreeningConditionRead)
renders_row("screening", Screening, ScreeningRead)
renders_row("eligibility_override", EligibilityOverride, OverrideRead)
renders_row("condition_retraction", ConditionRetraction, RetractionRead)
