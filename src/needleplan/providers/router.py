from __future__ import annotations

from fastapi import Response

from needleplan.deps import Admin, AnyCaller, DbDep
from needleplan.kit.etag import IfMatchHeader
from needleplan.kit.http import created, tag_version
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.problems import (
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)
from needleplan.providers import service
from needleplan.providers.schemas import (
    ProviderCreate,
    ProviderExceptionCreate,
    ProviderExceptionPage,
    ProviderExceptionRead,
    ProviderPage,
    ProviderRead,
    ProviderUpdate,
    WorkingInterval,
    WorkingIntervalRead,
    WorkingPlan,
    WorkingPlanRead,
)


def _plan_read(provider_id: str, intervals: list[WorkingInterval]) -> WorkingPlanRead:
    return WorkingPlanRead(
        provider_id=provider_id,
        intervals=[
            WorkingIntervalRead(
                location_id=i.location_id,
                weekday=i.weekday,
                start_time=i.start_time.strftime("%H:%M"),
                end_time=i.end_time.strftime("%H:%M"),
            )
            for i in intervals
        ],
    )


router = v1_router(prefix="/providers", tags=["providers"])


@router.post("", status_code=201, response_model=ProviderRead)
async def create_provider(
    body: ProviderCreate, db: DbDep, caller: Admin, response: Response
) -> ProviderRead:
    """Create a provider.

    A provider is a licensed practitioner who treats one client at a time. Set where and when
    they work with the working plan.
    """
    provider = service.create_provider(db, caller, body)
    created(response, f"/v1/providers/{provider.id}", provider.version)
    return ProviderRead.model_validate(provider)


@router.get("", response_model=ProviderPage)
async def list_providers(
    db: DbDep, _: AnyCaller, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> ProviderPage:
    """List providers, oldest first.

    Inactive providers are listed too. One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_providers(db, limit=limit, cursor=cursor)
    return ProviderPage(
        items=[ProviderRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{provider_id}", response_model=ProviderRead, responses=problem_responses(NotFound))
async def get_provider(
    provider_id: str, db: DbDep, _: AnyCaller, response: Response
) -> ProviderRead:
    """Get a provider.

    The `ETag` header is the provider's version, to send as `If-Match` when updating it. The
    working plan and exceptions have their own paths. An unknown id is a 404 (`not-found`).
    """
    provider = service.get_provider(db, provider_id)
    tag_version(response, provider.version)
    return ProviderRead.model_validate(provider)


@router.patch(
    "/{provider_id}",
    response_model=ProviderRead,
    responses=problem_responses(NotFound, PreconditionFailed, PreconditionRequired),
)
async def update_provider(
    provider_id: str,
    body: ProviderUpdate,
    db: DbDep,
    caller: Admin,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ProviderRead:
    """Update a provider (merge patch; needs If-Match).

    Change the name, the profession or `active`: an inactive provider takes no new booking or
    hold. `If-Match` is required: 428 (`precondition-required`) without it, 412
    (`precondition-failed`) when stale.
    """
    provider = service.update_provider(db, caller, provider_id, body, if_match)
    tag_version(response, provider.version)
    return ProviderRead.model_validate(provider)


@router.get(
    "/{provider_id}/working-plan",
    response_model=WorkingPlanRead,
    responses=problem_responses(NotFound),
)
async def get_working_plan(provider_id: str, db: DbDep, _: AnyCaller) -> WorkingPlanRead:
    """Get a provider's weekly working plan.

    Each interval is local wall time at its location, per weekday.
    """
    intervals = service.get_working_plan(db, provider_id)
    return _plan_read(provider_id, intervals)


@router.put(
    "/{provider_id}/working-plan",
    response_model=WorkingPlanRead,
    responses=problem_responses(NotFound),
)
async def replace_working_plan(
    provider_id: str, body: WorkingPlan, db: DbDep, caller: Admin
) -> WorkingPlanRead:
    """Replace a provider's weekly working plan.

    Send every interval of the week: intervals of one weekday may touch but not overlap.
    """
    intervals = service.replace_working_plan(db, caller, provider_id, body)
    return _plan_read(provider_id, intervals)


@router.get(
    "/{provider_id}/exceptions",
    response_model=ProviderExceptionPage,
    responses=problem_responses(NotFound),
)
async def list_provider_exceptions(
    provider_id: str,
    db: DbDep,
    _: AnyCaller,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> ProviderExceptionPage:
    """List a provider's dated exceptions (time off, extra hours).

    Availability and booking apply them on top of the weekly working plan. An unknown provider
    is a 404 (`not-found`). One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_exceptions(db, provider_id, limit=limit, cursor=cursor)
    return ProviderExceptionPage(
        items=[ProviderExceptionRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post(
    "/{provider_id}/exceptions",
    status_code=201,
    response_model=ProviderExceptionRead,
    responses=problem_responses(NotFound),
)
async def create_provider_exception(
    provider_id: str, body: ProviderExceptionCreate, db: DbDep, caller: Admin, response: Response
) -> ProviderExceptionRead:
    """Add a dated exception to a provider's plan.

    `time_off` removes working time; `extra_hours` adds working time at a location.
    """
    exception = service.create_exception(db, caller, provider_id, body)
    created(response, f"/v1/providers/{provider_id}/exceptions/{exception.id}")
    return ProviderExceptionRead.model_validate(exception)


@router.delete(
    "/{provider_id}/exceptions/{exception_id}",
    status_code=204,
    responses=problem_responses(NotFound),
)
async def delete_provider_exception(
    provider_id: str, exception_id: str, db: DbDep, caller: Admin
) -> Response:
    """Delete a provider's exception.

    On its dates the weekly working plan applies again; sessions already booked are not
    touched. An exception that this provider does not have is a 404 (`not-found`).
    """
    service.delete_exception(db, caller, provider_id, exception_id)
    return Response(status_code=204)
