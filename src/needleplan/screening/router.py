from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query, Response

from needleplan.auth.roles import Role
from needleplan.deps import Admin, AnyCaller, Clinician, DbDep, FrontDesk, SettingsDep
from needleplan.kit.etag import IfMatchHeader
from needleplan.kit.http import created, tag_version
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.time import LocalDate, latest_today
from needleplan.kit.transaction import v1_router
from needleplan.problems import (
    AlreadyExists,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)
from needleplan.screening import service
from needleplan.screening.eligibility import Verdict
from needleplan.screening.schemas import (
    AcceptedBy,
    EligibilityRead,
    EligibilityStatusRead,
    OverrideCreate,
    OverridePage,
    OverrideRead,
    ReasonRead,
    RetractionCreate,
    RetractionRead,
    ScreeningConditionCreate,
    ScreeningConditionPage,
    ScreeningConditionRead,
    ScreeningConditionUpdate,
    ScreeningCreate,
    ScreeningPage,
    ScreeningRead,
)

conditions_router = v1_router(prefix="/screening-conditions", tags=["screening"])
clients_router = v1_router(prefix="/clients/{client_id}", tags=["screening"])


@conditions_router.get("", response_model=ScreeningConditionPage)
async def list_screening_conditions(
    db: DbDep, _: AnyCaller, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> ScreeningConditionPage:
    """List the screening-condition catalogue, by code.

    `contraindication` conditions block treatment; `caution` conditions flag it. A `temporary`
    condition counts only from the client's latest screening.
    """
    rows, next_cursor = service.list_conditions(db, limit=limit, cursor=cursor)
    return ScreeningConditionPage(
        items=[ScreeningConditionRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@conditions_router.post(
    "",
    status_code=201,
    response_model=ScreeningConditionRead,
    responses=problem_responses(AlreadyExists),
)
async def create_screening_condition(
    body: ScreeningConditionCreate, db: DbDep, caller: Admin, response: Response
) -> ScreeningConditionRead:
    """Add a condition to the screening catalogue.

    Its `code` names it in screenings and eligibility reasons and never changes. A code already
    in the catalogue is a 409 (`already-exists`); a code reserved for an eligibility
    requirement is a 422.
    """
    condition = service.create_condition(db, caller, body)
    created(response, f"/v1/screening-conditions/{condition.code}", condition.version)
    return ScreeningConditionRead.model_validate(condition)


@conditions_router.get(
    "/{code}", response_model=ScreeningConditionRead, responses=problem_responses(NotFound)
)
async def get_screening_condition(
    code: str, db: DbDep, _: AnyCaller, response: Response
) -> ScreeningConditionRead:
    """Get a screening condition by its code.

    The `ETag` header is its version, to send as `If-Match` when updating it. An unknown code
    is a 404 (`not-found`).
    """
    condition = service.get_condition(db, code)
    tag_version(response, condition.version)
    return ScreeningConditionRead.model_validate(condition)


@conditions_router.patch(
    "/{code}",
    response_model=ScreeningConditionRead,
    responses=problem_responses(NotFound, PreconditionFailed, PreconditionRequired),
)
async def update_screening_condition(
    code: str,
    body: ScreeningConditionUpdate,
    db: DbDep,
    caller: Admin,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ScreeningConditionRead:
    """Update a screening condition (merge patch; needs If-Match).

    Change the name, the `kind` (`contraindication` or `caution`) or `temporary`; the code never
    changes. `If-Match` is required: 428 (`precondition-required`) without it, 412
    (`precondition-failed`) when stale.
    """
    condition = service.update_condition(db, caller, code, body, if_match)
    tag_version(response, condition.version)
    return ScreeningConditionRead.model_validate(condition)


@clients_router.post(
    "/screenings",
    status_code=201,
    response_model=ScreeningRead,
    responses=problem_responses(NotFound),
)
async def create_screening(
    client_id: str, body: ScreeningCreate, db: DbDep, caller: Clinician, response: Response
) -> ScreeningRead:
    """Record a client's screening questionnaire.

    Screenings are never edited or deleted: a new one supersedes the last. `screened_on` may not
    lie in the future.
    """
    screening = service.record_screening(db, caller, client_id, body)
    created(response, f"/v1/clients/{client_id}/screenings/{screening.id}")
    return ScreeningRead.model_validate(screening)


@clients_router.get(
    "/screenings", response_model=ScreeningPage, responses=problem_responses(NotFound)
)
async def list_screenings(
    client_id: str,
    db: DbDep,
    _: FrontDesk,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> ScreeningPage:
    """List a client's screenings, newest first.

    Each holds the conditions the client declared and the date screened; screenings are never
    edited. An unknown client is a 404 (`not-found`). One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_screenings(db, client_id, limit=limit, cursor=cursor)
    return ScreeningPage(
        items=[ScreeningRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


def _verdict_read(client_id: str, on: date, verdict: Verdict) -> EligibilityRead:
    return EligibilityRead(
        client_id=client_id,
        on=on,
        status=verdict.status,
        reasons=[
            ReasonRead(
                code=r.code,
                kind=r.kind,
                detail=r.detail,
                blocking=r.blocks,
                accepted_by=None
                if r.accepted_by is None
                else AcceptedBy(
                    override_id=r.accepted_by.id,
                    created_by_key_id=r.accepted_by.created_by_key_id,
                    expires_on=r.accepted_by.expires_on,
                ),
            )
            for r in verdict.reasons
        ],
        screening_id=verdict.screening_id,
        valid_until=verdict.valid_until,
    )


@clients_router.get(
    "/eligibility",
    response_model=EligibilityRead | EligibilityStatusRead,
    responses=problem_responses(NotFound),
)
async def get_eligibility(
    client_id: str,
    db: DbDep,
    settings: SettingsDep,
    caller: AnyCaller,
    on: Annotated[
        LocalDate | None,
        Query(description="The date asked (YYYY-MM-DD); default: today."),
    ] = None,
) -> EligibilityRead | EligibilityStatusRead:
    """Whether a client may be treated on a date.

    `not_eligible` when a contraindication is on record, no screening exists, the latest one is
    older than the validity period, or the client is under the minimum age, unless a clinician's
    override accepts the reason. Cautions make `eligible_with_cautions`. An `integration` key
    sees the status only.
    """
    day = on or latest_today()
    verdict = service.eligibility(db, settings, client_id, day)
    if caller.role is Role.integration:
        return EligibilityStatusRead(client_id=client_id, on=day, status=verdict.status)
    return _verdict_read(client_id, day, verdict)


@clients_router.post(
    "/eligibility-overrides",
    status_code=201,
    response_model=OverrideRead,
    responses=problem_responses(NotFound),
)
async def create_eligibility_override(
    client_id: str, body: OverrideCreate, db: DbDep, caller: Clinician, response: Response
) -> OverrideRead:
    """Accept listed blocking reasons or cautions for a client, with a written reason.

    Applies on dates up to and including `expires_on`. Clinicians and admins only; audited.
    """
    override = service.create_override(db, caller, client_id, body)
    created(response, f"/v1/clients/{client_id}/eligibility-overrides/{override.id}")
    return OverrideRead.model_validate(override)


@clients_router.get(
    "/eligibility-overrides", response_model=OverridePage, responses=problem_responses(NotFound)
)
async def list_eligibility_overrides(
    client_id: str,
    db: DbDep,
    _: FrontDesk,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> OverridePage:
    """List a client's eligibility overrides, oldest first.

    Expired overrides are listed too, each with the reasons it accepts, the clinician's written
    reason and `expires_on`. An unknown client is a 404 (`not-found`). One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_overrides(db, client_id, limit=limit, cursor=cursor)
    return OverridePage(
        items=[OverrideRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@clients_router.post(
    "/condition-retractions",
    status_code=201,
    response_model=RetractionRead,
    responses=problem_responses(NotFound),
)
async def create_condition_retraction(
    client_id: str, body: RetractionCreate, db: DbDep, caller: Clinician, response: Response
) -> RetractionRead:
    """Retract a condition recorded in earlier screenings (a clinician's correction).

    A history such as `keloid_history` persists from any screening until retracted; a screening
    recorded after the retraction that lists it again brings it back.
    """
    retraction = service.retract_condition(db, caller, client_id, body)
    created(response, f"/v1/clients/{client_id}/condition-retractions/{retraction.id}")
    return RetractionRead.model_validate(retraction)
