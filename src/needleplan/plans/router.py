from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from needleplan.auth.roles import Role
from needleplan.deps import AnyCaller, DbDep, FrontDesk, SettingsDep
from needleplan.kit.etag import IfMatchHeader
from needleplan.kit.http import created, tag_version
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import TransactionalRoute
from needleplan.plans import service
from needleplan.plans.problems import PlanTransitionNotAllowed
from needleplan.plans.schemas import (
    PlanCancelled,
    PlanCreate,
    PlanPage,
    PlanRead,
    PlanStatus,
    PlanUpdate,
)
from needleplan.problems import (
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)
from needleplan.sessions.problems import NotEligible

router = APIRouter(
    prefix="/treatment-plans", tags=["treatment-plans"], route_class=TransactionalRoute
)


@router.post("", status_code=201, response_model=PlanRead, responses=problem_responses(NotEligible))
async def create_treatment_plan(
    body: PlanCreate, db: DbDep, settings: SettingsDep, caller: FrontDesk, response: Response
) -> PlanRead:
    """Create a treatment plan: a course of sessions 4–6 weeks apart.

    The client must be eligible today, as for a booking. A plan is created `active` (or `draft`,
    which takes no bookings until `PATCH status: active`).
    """
    plan = service.create_plan(db, settings, caller, body)
    created(response, f"/v1/treatment-plans/{plan.id}", plan.version)
    return service.plan_read(db, plan, private=False)


@router.get("", response_model=PlanPage)
async def list_treatment_plans(
    db: DbDep,
    caller: AnyCaller,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    status: PlanStatus | None = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> PlanPage:
    """List treatment plans, oldest first, by client or status."""
    rows, next_cursor = service.list_plans(
        db, client_id=client_id, status=status, limit=limit, cursor=cursor
    )
    private = caller.role is Role.integration
    return PlanPage(
        items=[service.plan_read(db, p, private=private) for p in rows], next_cursor=next_cursor
    )


@router.get("/{plan_id}", response_model=PlanRead, responses=problem_responses(NotFound))
async def get_treatment_plan(
    plan_id: str, db: DbDep, caller: AnyCaller, response: Response
) -> PlanRead:
    """Get a plan with its sessions in order and the next follow-up window."""
    plan = service.get_plan(db, plan_id)
    tag_version(response, plan.version)
    return service.plan_read(db, plan, private=caller.role is Role.integration)


@router.patch(
    "/{plan_id}",
    response_model=PlanRead,
    responses=problem_responses(
        NotFound, PreconditionFailed, PreconditionRequired, PlanTransitionNotAllowed
    ),
)
async def update_treatment_plan(
    plan_id: str,
    body: PlanUpdate,
    db: DbDep,
    caller: FrontDesk,
    response: Response,
    if_match: IfMatchHeader = None,
) -> PlanRead:
    """Update a plan (merge patch; needs If-Match). `status: active` starts a draft."""
    plan = service.update_plan(db, caller, plan_id, body, if_match)
    tag_version(response, plan.version)
    return service.plan_read(db, plan, private=False)


@router.post(
    "/{plan_id}/cancel",
    response_model=PlanCancelled,
    responses=problem_responses(NotFound, PreconditionFailed, PlanTransitionNotAllowed),
)
async def cancel_treatment_plan(
    plan_id: str, db: DbDep, caller: FrontDesk, response: Response, if_match: IfMatchHeader = None
) -> PlanCancelled:
    """Cancel a plan. Its booked sessions stay booked and are listed, to cancel one by one."""
    plan, booked = service.cancel_plan(db, caller, plan_id, if_match)
    tag_version(response, plan.version)
    return PlanCancelled(plan=service.plan_read(db, plan, private=False), booked_sessions=booked)
