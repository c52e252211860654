from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Query, Response

from needleplan.auth.roles import Role
from needleplan.availability.slots import Slot
from needleplan.deps import AnyCaller, DbDep, FrontDesk, SettingsDep
from needleplan.kit.etag import IfMatchHeader
from needleplan.kit.http import created, tag_version
from needleplan.kit.localtime import in_zone
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.plans import proposals, service
from needleplan.plans.problems import (
    CourseNotFeasible,
    IntervalViolation,
    PlanFull,
    PlanNotActive,
    PlanTransitionNotAllowed,
)
from needleplan.plans.schemas import (
    CourseProposal,
    CourseProposalRequest,
    NextSlots,
    PlanCancelled,
    PlanCreate,
    PlanPage,
    PlanRead,
    PlanStatus,
    PlanUpdate,
    SlotRead,
)
from needleplan.problems import (
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)
from needleplan.screening.problems import NotEligible
from needleplan.sessions.problems import SlotTaken

router = v1_router(prefix="/treatment-plans", tags=["treatment-plans"])


@router.post("", status_code=201, response_model=PlanRead, responses=problem_responses(NotEligible))
async def create_treatment_plan(
    body: PlanCreate, db: DbDep, settings: SettingsDep, caller: FrontDesk, response: Response
) -> PlanRead:
    """Create a treatment plan: a course of sessions 4–6 weeks apart.

    With `template` (a course template's code, `GET /v1/course-templates`), every field the body
    leaves out comes from the template: areas, intensity, device, sessions_planned, the interval
    days and numbing; the plan keeps the code in `template`. An unknown or inactive template is a
    422 naming `template`; without one, `areas` is required. `numbing` left out: the client's
    `numbing_preference` when `always` or `never`, else the template's; with `ask` and no
    template, a 422 naming `numbing`. An unknown or inactive `device` is a 422 naming it. The client must be eligible
    today, as for a booking. A plan is created `active` (or `draft`, which takes no bookings
    until `PATCH status: active`).
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
    """List treatment plans, oldest first, by client or status.

    `client_id` and `status` combine. Each plan comes with its sessions and next follow-up
    window, as `GET /v1/treatment-plans/{plan_id}` reads it; an `integration` key gets no
    notes. One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_plans(
        db, client_id=client_id, status=status, limit=limit, cursor=cursor
    )
    private = caller.role is Role.integration
    return PlanPage(items=service.plans_read(db, rows, private=private), next_cursor=next_cursor)


@router.get("/{plan_id}", response_model=PlanRead, responses=problem_responses(NotFound))
async def get_treatment_plan(
    plan_id: str, db: DbDep, caller: AnyCaller, response: Response
) -> PlanRead:
    """Get a plan with its sessions in order and the next follow-up window.

    `next_window` holds the dates between which the next session should fall: the plan's
    minimum and maximum interval after the previous one. The `ETag` header is the plan's
    version. An `integration` key gets no notes. An unknown id is a 404 (`not-found`).
    """
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
    """Update a plan (merge patch; needs If-Match). `status: active` starts a draft.

    Change the provider, areas, intensity, device (`null`: none), numbing, the number of
    sessions, the interval bounds or the notes. `status` may only go from `draft` to `active` here (409
    `plan-transition-not-allowed`); `POST .../cancel` cancels. New bounds or a new count check
    the booked sessions against their windows again. `If-Match` is required: 428 (`precondition-required`) without it, 412
    (`precondition-failed`) when stale.
    """
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
    """Cancel a plan. Its booked sessions stay booked and are listed, to cancel one by one.

    A `completed` or `cancelled` plan cannot be cancelled (409 `plan-transition-not-allowed`).
    `booked_sessions` lists the ids to cancel with `POST /v1/sessions/{session_id}/cancel`.
    A stale `If-Match`, when sent, is a 412.
    """
    plan, booked = service.cancel_plan(db, caller, plan_id, if_match)
    tag_version(response, plan.version)
    return PlanCancelled(plan=service.plan_read(db, plan, private=False), booked_sessions=booked)


def _slot_read(slot: Slot, zone: ZoneInfo, client_minutes: int) -> SlotRead:
    return SlotRead(
        starts_at=in_zone(slot.starts_at, zone),
        ends_at=in_zone(slot.starts_at + timedelta(minutes=client_minutes), zone),
        provider_id=slot.provider_id,
        room_id=slot.room_id,
    )


@router.get(
    "/{plan_id}/next-slots",
    response_model=NextSlots,
    responses=problem_responses(NotFound, PlanNotActive),
)
async def get_next_slots(
    plan_id: str,
    db: DbDep,
    settings: SettingsDep,
    _: AnyCaller,
    limit: Annotated[int, Query(ge=1, le=50, description="How many slots, best first.")] = 5,
) -> NextSlots:
    """Free slots for the plan's next session, inside its follow-up window.

    Ranked: the plan's provider first (else the previous session's), then the previous
    session's weekday and time of day, then the earliest. With no session yet: the next two
    weeks.
    """
    plan = service.get_plan(db, plan_id)
    found = proposals.next_slots(db, settings, plan, limit)
    return NextSlots(
        window=service.window_read(found.window, found.zone) if found.window else None,
        slots=[_slot_read(s, found.zone, found.client_minutes) for s in found.slots],
    )


@router.post(
    "/{plan_id}/course-proposal",
    response_model=CourseProposal,
    responses={
        201: {"model": CourseProposal, "description": "Booked (`book: true`)"},
        **problem_responses(
            NotFound,
            PlanNotActive,
            PlanFull,
            CourseNotFeasible,
            IntervalViolation,
            NotEligible,
            SlotTaken,
        ),
    },
)
async def propose_course(
    plan_id: str,
    body: CourseProposalRequest,
    db: DbDep,
    settings: SettingsDep,
    caller: AnyCaller,
    response: Response,
) -> CourseProposal:
    """Propose one slot per remaining session, each inside its window after the one before.

    With `"book": true` every proposal is booked in one transaction, all or none (201).
    """
    plan = service.get_plan(db, plan_id, for_update=body.book)
    slots, zone, minutes = proposals.propose_course(db, settings, plan, body.starts_from)
    proposed = [_slot_read(s, zone, minutes) for s in slots]
    if not body.book:
        return CourseProposal(proposals=proposed)
    booked = proposals.book_course(db, settings, caller, plan, slots)
    response.status_code = 201
    return CourseProposal(proposals=proposed, sessions=booked)
