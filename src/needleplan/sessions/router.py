from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Query, Response
from sqlmodel import Session

from needleplan.auth.service import Caller
from needleplan.config import Settings
from needleplan.deps import AnyCaller, Clinician, DbDep, FrontDesk, SettingsDep
from needleplan.kit.etag import IfMatchHeader, etag
from needleplan.kit.http import ITEMS, JSON, created, json_with_items, tag_version
from needleplan.kit.localtime import in_zone
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.time import Instant, LocalDate
from needleplan.kit.transaction import v1_router
from needleplan.locations.service import zone_of
from needleplan.problems import (
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)
from needleplan.screening.problems import NotEligible
from needleplan.sessions import reads, service
from needleplan.sessions.lifecycle import Action, SessionStatus
from needleplan.sessions.plan_course import PlanCourse, PlanCourseDep
from needleplan.sessions.problems import (
    CautionsUnacknowledged,
    DeviceNotInRoom,
    HoldExpired,
    HoldMismatch,
    InsufficientNotice,
    OffSlotGrid,
    OutsideWorkingHours,
    ScreeningExpired,
    SlotTaken,
    TransitionNotAllowed,
)
from needleplan.sessions.schemas import (
    CancelRequest,
    DaySchedule,
    SessionCreate,
    SessionMovePage,
    SessionMoveRead,
    SessionPage,
    SessionRead,
    SessionReschedule,
)
from needleplan.sessions.views import session_read

router = v1_router(prefix="/sessions", tags=["sessions"])
schedules_router = v1_router(tags=["schedules"])

BOOKING_PROBLEMS = (
    NotEligible,
    DeviceNotInRoom,
    OffSlotGrid,
    InsufficientNotice,
    OutsideWorkingHours,
    SlotTaken,
)
ACTION_PROBLEMS = (NotFound, PreconditionFailed, TransitionNotAllowed)


@router.post(
    "",
    status_code=201,
    response_model=SessionRead,
    responses=problem_responses(*BOOKING_PROBLEMS, HoldMismatch, HoldExpired),
)
async def create_session(
    body: SessionCreate,
    db: DbDep,
    course: PlanCourseDep,
    settings: SettingsDep,
    caller: AnyCaller,
    response: Response,
) -> SessionRead:
    """Book a session.

    The end and the segments follow from the areas, intensity and numbing; a client never sends
    an end. Checked in order: eligibility on the session's local date (an expired screening only
    sets `screening_due`), slot grid and notice, the provider's working hours for the treatment,
    and that no live session or unexpired hold overlaps the provider's, room's or client's busy
    time. Numbing keeps the client and room busy but leaves the provider free. A `device` (or,
    left out, the plan's) sets the minutes where it names the areas; the room must hold it
    (422 `device-not-in-room`).
    """
    session, zone, verdict = service.create_session(db, settings, caller, body, course=course)
    created(response, f"/v1/sessions/{session.id}", session.version)
    return session_read(session, zone, verdict, caller.role)


@router.get("", response_model=SessionPage)
async def list_sessions(
    db: DbDep,
    settings: SettingsDep,
    caller: AnyCaller,
    starts_from: Annotated[
        Instant | None, Query(alias="from", description="Sessions ending after this instant.")
    ] = None,
    until: Annotated[
        Instant | None, Query(alias="to", description="Sessions starting before this instant.")
    ] = None,
    provider_id: Annotated[str | None, Query(max_length=36)] = None,
    room_id: Annotated[str | None, Query(max_length=36)] = None,
    client_id: Annotated[str | None, Query(max_length=36)] = None,
    status: SessionStatus | None = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Response:
    """List sessions by start time, filtered by a time range, provider, room, client or status.

    `from` and `to` keep the sessions overlapping that range; the filters combine. Times are
    local to each session's location. An `integration` key gets no notes or cautions.
    One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_sessions(
        db,
        starts_from=starts_from,
        until=until,
        provider_id=provider_id,
        room_id=room_id,
        client_id=client_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    items = reads.session_json(db, settings, rows, caller.role)
    return json_with_items({"items": ITEMS, "next_cursor": next_cursor}, items)


@router.get("/{session_id}", response_model=SessionRead, responses=problem_responses(NotFound))
async def get_session(
    session_id: str, db: DbDep, settings: SettingsDep, caller: AnyCaller
) -> Response:
    """Get a session; its `ETag` is the version to send in `If-Match`.

    Times are local to the session's location; `segments` splits it into numbing, treatment
    and turnover. An `integration` key gets no notes or cautions. An unknown id is a 404
    (`not-found`).
    """
    row = service.session_as_stored(db, session_id)
    (document,) = reads.session_json(db, settings, [row], caller.role)
    return Response(document, media_type=JSON, headers={"ETag": etag(row.version)})


@router.get(
    "/{session_id}/moves", response_model=SessionMovePage, responses=problem_responses(NotFound)
)
async def list_session_moves(
    session_id: str,
    db: DbDep,
    _: AnyCaller,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> SessionMovePage:
    """A session's reschedules, oldest first: where and when it was, and where it went.

    One row per `PATCH /v1/sessions/{session_id}` that moved it: start, provider and room
    before and after, and which key moved it when. An unknown session is a 404 (`not-found`).
    One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    zone = zone_of(db, service.get_session(db, session_id).location_id)
    rows, next_cursor = service.list_moves(db, session_id, limit=limit, cursor=cursor)
    return SessionMovePage(
        items=[
            SessionMoveRead(
                id=m.id,
                from_starts_at=in_zone(m.from_starts_at, zone),
                to_starts_at=in_zone(m.to_starts_at, zone),
                from_provider_id=m.from_provider_id,
                to_provider_id=m.to_provider_id,
                from_room_id=m.from_room_id,
                to_room_id=m.to_room_id,
                moved_by_key_id=m.moved_by_key_id,
                moved_at=m.moved_at,
            )
            for m in rows
        ],
        next_cursor=next_cursor,
    )


@router.patch(
    "/{session_id}",
    response_model=SessionRead,
    responses=problem_responses(
        *BOOKING_PROBLEMS, NotFound, PreconditionFailed, PreconditionRequired, TransitionNotAllowed
    ),
)
async def reschedule_session(
    session_id: str,
    body: SessionReschedule,
    db: DbDep,
    course: PlanCourseDep,
    settings: SettingsDep,
    caller: AnyCaller,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SessionRead:
    """Reschedule a booked session (new start, provider or room; needs If-Match).

    Every booking rule is checked again, ignoring the session's own current time; the move is
    kept in the session's history. A new room must hold the session's device (422
    `device-not-in-room`); the session keeps its booked minutes.
    """
    session, zone, verdict = service.reschedule(
        db, settings, caller, session_id, body, if_match, course=course
    )
    tag_version(response, session.version)
    return session_read(session, zone, verdict, caller.role)


async def _act(
    db: Session,
    course: PlanCourse,
    settings: Settings,
    caller: Caller,
    session_id: str,
    action: Action,
    if_match: str | None,
    response: Response,
    reason: str | None = None,
) -> SessionRead:
    service.act(db, settings, caller, session_id, action, if_match, reason=reason, course=course)
    row = service.session_to_read(db, session_id)
    verdict = reads.read_verdicts(db, settings, [row]).get(row.id)
    tag_version(response, row.version)
    return session_read(row, ZoneInfo(row.time_zone), verdict, caller.role)


@router.post(
    "/{session_id}/arrive",
    response_model=SessionRead,
    responses=problem_responses(
        *ACTION_PROBLEMS, ScreeningExpired, NotEligible, CautionsUnacknowledged
    ),
)
async def arrive_session(
    session_id: str,
    db: DbDep,
    course: PlanCourseDep,
    settings: SettingsDep,
    caller: FrontDesk,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SessionRead:
    """Check the client in (`booked` → `arrived`).

    Refused without a screening valid today (`screening-expired`) or while cautions lack a
    clinician's acknowledgement (`cautions-unacknowledged`).
    """
    return await _act(db, course, settings, caller, session_id, Action.arrive, if_match, response)


@router.post(
    "/{session_id}/complete",
    response_model=SessionRead,
    responses=problem_responses(*ACTION_PROBLEMS),
)
async def complete_session(
    session_id: str,
    db: DbDep,
    course: PlanCourseDep,
    settings: SettingsDep,
    caller: FrontDesk,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SessionRead:
    """Mark the treatment done (`arrived` → `fulfilled`).

    Only an `arrived` session, and not before its treatment has started (after numbing);
    otherwise a 409. The session that completes its plan's course completes the plan. A stale
    `If-Match`, when sent, is a 412.
    """
    return await _act(db, course, settings, caller, session_id, Action.complete, if_match, response)


@router.post(
    "/{session_id}/cancel",
    response_model=SessionRead,
    responses=problem_responses(*ACTION_PROBLEMS),
)
async def cancel_session(
    session_id: str,
    body: CancelRequest,
    db: DbDep,
    course: PlanCourseDep,
    settings: SettingsDep,
    caller: AnyCaller,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SessionRead:
    """Cancel a booked session, with a reason; it stays in the history and frees its slot.

    Only a `booked` session can be cancelled (409 `transition-not-allowed` otherwise): an
    arrived client's session is completed or marked entered-in-error. The plan's later
    sessions are checked against their follow-up windows again. A stale `If-Match`, when
    sent, is a 412.
    """
    return await _act(
        db, course, settings, caller, session_id, Action.cancel, if_match, response, body.reason
    )


@router.post(
    "/{session_id}/no-show",
    response_model=SessionRead,
    responses=problem_responses(*ACTION_PROBLEMS),
)
async def mark_session_no_show(
    session_id: str,
    db: DbDep,
    course: PlanCourseDep,
    settings: SettingsDep,
    caller: FrontDesk,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SessionRead:
    """Mark that the client did not come (`booked` → `noshow`; not before the start).

    Only a `booked` session whose start has passed (409 otherwise). It frees its slot, and the
    plan's later sessions are checked against their follow-up windows again. A stale
    `If-Match`, when sent, is a 412.
    """
    return await _act(db, course, settings, caller, session_id, Action.no_show, if_match, response)


@router.post(
    "/{session_id}/entered-in-error",
    response_model=SessionRead,
    responses=problem_responses(*ACTION_PROBLEMS),
)
async def mark_session_entered_in_error(
    session_id: str,
    db: DbDep,
    course: PlanCourseDep,
    settings: SettingsDep,
    caller: Clinician,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SessionRead:
    """Mark a session as a mistake (`entered-in-error`; clinicians and admins).

    For a `booked` or `arrived` session that should never have been recorded (409 otherwise):
    it frees its slot, leaves its plan's course and no day schedule shows it. A stale
    `If-Match`, when sent, is a 412.
    """
    return await _act(
        db, course, settings, caller, session_id, Action.entered_in_error, if_match, response
    )


DateQuery = Annotated[
    LocalDate, Query(description="The local date (YYYY-MM-DD) in the location's zone.")
]


def _schedule(
    db: Session, settings: Settings, caller: Caller, day: date, zone: ZoneInfo, **owner: str
) -> Response:
    start, end, rows = service.day_schedule(db, day=day, zone=zone, **owner)
    # A provider may work at several locations: each session reads in its own location's zone.
    return json_with_items(
        {
            "date": day,
            "time_zone": zone.key,
            "starts_at": start.astimezone(zone),
            "ends_at": end.astimezone(zone),
            "sessions": ITEMS,
        },
        reads.session_json(db, settings, rows, caller.role),
    )


@schedules_router.get(
    "/providers/{provider_id}/schedule",
    response_model=DaySchedule,
    responses=problem_responses(NotFound),
)
async def get_provider_schedule(
    provider_id: str,
    date: DateQuery,
    db: DbDep,
    settings: SettingsDep,
    caller: AnyCaller,
    location_id: Annotated[
        str | None,
        Query(max_length=36, description="Whose local day; default: where the provider works."),
    ] = None,
) -> Response:
    """A provider's sessions on a local day.

    Every session of the provider overlapping the day, in start order, without cancelled or
    entered-in-error ones. `location_id` chooses whose calendar day; each session reads in its
    own location's zone. An unknown provider is a 404 (`not-found`).
    """
    zone = service.provider_zone(db, provider_id, location_id)
    return _schedule(db, settings, caller, date, zone, provider_id=provider_id)


@schedules_router.get(
    "/rooms/{room_id}/schedule", response_model=DaySchedule, responses=problem_responses(NotFound)
)
async def get_room_schedule(
    room_id: str, date: DateQuery, db: DbDep, settings: SettingsDep, caller: AnyCaller
) -> Response:
    """A room's sessions on a local day, in its location's zone.

    Every session in the room overlapping the day, in start order, without cancelled or
    entered-in-error ones. An unknown room is a 404 (`not-found`).
    """
    zone = service.room_zone(db, room_id)
    return _schedule(db, settings, caller, date, zone, room_id=room_id)
