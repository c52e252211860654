"""Session use cases: book, read, list, reschedule and move through the lifecycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import Row
from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.config import Settings
from needleplan.db import settings_of
from needleplan.durations.quote import DurationQuote, Intensity, segments_for
from needleplan.events.outbox import emit, renders
from needleplan.kit.crud import bump_version, get_or_404, require_reference
from needleplan.kit.etag import check_if_match, require_if_match
from needleplan.kit.localtime import in_zone, local_date, local_day_bounds
from needleplan.kit.statuses import NumbingSource
from needleplan.kit.time import utc_now
from needleplan.locations.service import zone_of
from needleplan.models import (
    Hold,
    Provider,
    Room,
    SessionMove,
    TreatmentPlan,
    TreatmentSession,
)
from needleplan.problems import Forbidden, NotFound, ValidationFailed, field_error
from needleplan.screening.eligibility import (
    NO_SCREENING,
    SCREENING_EXPIRED,
    ReasonKind,
    Rules,
    Verdict,
)
from needleplan.screening.problems import NotEligible
from needleplan.screening.service import rules_from, verdicts
from needleplan.sessions import booking, repository
from needleplan.sessions.booking import BookingRequest
from needleplan.sessions.lifecycle import (
    Action,
    FrontDeskTiming,
    HoldStatus,
    SessionStatus,
    hold_status,
    holds_time,
    next_status,
    timing_refusal,
)
from needleplan.sessions.plan_course import PlanCourse
from needleplan.sessions.problems import (
    CautionsUnacknowledged,
    HoldExpired,
    HoldMismatch,
    ScreeningExpired,
    TransitionNotAllowed,
)
from needleplan.sessions.schemas import SessionCreate, SessionRead, SessionReschedule
from needleplan.sessions.views import integration_view, session_read

SessionPage = tuple[list[Row[Any]], str | None]


def _hold_to_convert(db: Session, hold_id: str, request: BookingRequest) -> Hold:
    hold = db.get(Hold, hold_id)
    if hold is None:
        raise ValidationFailed(
            f"hold_id: no hold has id {hold_id!r}.",
            [field_error("body", "hold_id", "No hold has this id.", "unknown_reference")],
        )
    same = (
        hold.client_id == request.client_id
        and hold.provider_id == request.provider_id
        and hold.room_id == request.room_id
        and hold.starts_at == request.starts_at
        and sorted(hold.areas) == sorted(request.areas)
        and hold.device_code == request.device_code
        and hold.numbing == request.numbing
    )
    if not same:
        raise HoldMismatch(
            "The booking's client, provider, room, start, areas, device or numbing differ from "
            "the hold's."
        )
    status = hold_status(hold, utc_now())
    if status is not HoldStatus.active:
        raise HoldExpired(_HOLD_GONE[status])
    return hold


def _may_override(caller: Caller, override_reason: str | None) -> None:
    if override_reason is not None and not caller.role.may_act_as(Role.clinician):
        raise Forbidden("Only clinicians and admins may accept a session outside its window.")


def _plan_of(db: Session, plan_id: str, client_id: str) -> TreatmentPlan:
    plan = require_reference(db, TreatmentPlan, plan_id, field="plan_id", what="treatment plan")
    if plan.client_id != client_id:
        raise ValidationFailed(
            "The plan belongs to another client.",
            [field_error("body", "plan_id", "The plan belongs to another client.", "wrong_client")],
        )
    return _locked_plan(db, plan.id)


def _locked_plan(db: Session, plan_id: str) -> TreatmentPlan:
    """The plan, locked on PostgreSQL for the rest of the transaction: its session count,
    windows and flags are read and written by one booking at a time (SQLite serialises all
    writes anyway)."""
    return get_or_404(db, TreatmentPlan, plan_id, what="treatment plan", for_update=True)


def create_session(
    db: Session, settings: Settings, caller: Caller, body: SessionCreate, *, course: PlanCourse
) -> tuple[TreatmentSession, ZoneInfo, Verdict]:
    _may_override(caller, body.override_reason)
    request = booking.request_from(body)
    plan = _plan_of(db, body.plan_id, request.client_id) if body.plan_id else None
    location = booking.check_references(db, request)
    # Converting a hold books what it held: a numbing or device left out is the hold's.
    held = db.get(Hold, body.hold_id) if body.hold_id else None
    if held is not None and body.numbing is None:
        request = replace(request, numbing=held.numbing)
        numbing_source = NumbingSource(held.numbing_source)
    else:
        request, numbing_source = booking.with_numbing(db, request, body.numbing, plan=plan)
    device = body.device if held is None or body.device is not None else held.device_code
    request = booking.with_device(db, request, device, plan=plan)
    hold = _hold_to_convert(db, body.hold_id, request) if body.hold_id else None
    in_plan = booking.PlanBooking(course, plan, body.override_reason) if plan else None
    checked, verdict = booking.check(db, settings, caller, request, location, plan=in_plan)
    session = TreatmentSession(
        client_id=request.client_id,
        provider_id=request.provider_id,
        room_id=request.room_id,
        location_id=request.location_id,
        areas=request.areas,
        intensity=request.intensity.value,
        numbing=request.numbing,
        numbing_source=numbing_source,
        device_code=request.device_code,
        numbing_minutes=checked.quote.numbing_minutes,
        treatment_minutes=checked.quote.treatment_minutes,
        turnover_minutes=checked.quote.turnover_minutes,
        starts_at=request.starts_at,
        ends_at=checked.ends_at,
        status=SessionStatus.booked,
        notes=body.notes,
        hold_id=hold.id if hold else None,
        plan_id=plan.id if plan else None,
        interval_override_reason=body.override_reason if plan else None,
        created_by_key_id=caller.key_id,
    )
    db.add(session)
    db.flush()
    booking.place(db, checked, session_id=session.id, releasing_hold_id=hold.id if hold else None)
    if hold is not None:
        hold.session_id = session.id
        emit(db, "hold.converted", "hold", hold.id)
    if plan is not None:
        course.reflag(db, plan)
    record(db, caller, "create", "session", session.id)
    if body.override_reason and plan is not None:
        record(db, caller, "accept_interval", "session", session.id)
    _remember(db, settings, session, checked.zone, verdict)
    return session, checked.zone, verdict


def verdicts_for(
    db: Session,
    settings: Settings,
    sessions: Sequence[TreatmentSession],
    zones: dict[str, ZoneInfo],
) -> dict[str, Verdict]:
    """The client's eligibility on each session's local date (a fixed number of queries)."""
    asked = {s.id: (s.client_id, local_date(s.starts_at, zones[s.location_id])) for s in sessions}
    found = verdicts(db, settings, asked.values())
    return {session_id: found[key] for session_id, key in asked.items() if key in found}


def get_session(db: Session, session_id: str, *, for_update: bool = False) -> TreatmentSession:
    return get_or_404(db, TreatmentSession, session_id, what="session", for_update=for_update)


def session_to_read(db: Session, session_id: str) -> Row[Any]:
    """One session as a read shows it (repository._readable: one statement), or 404."""
    row = repository.session_read_row(db, session_id)
    if row is None:
        raise NotFound(f"No session has id {session_id!r}.")
    return row


def session_as_stored(db: Session, session_id: str) -> Row[Any]:
    """One session as stored (repository._as_stored: what a read is kept by), or 404."""
    row = repository.stored_session_row(db, session_id)
    if row is None:
        raise NotFound(f"No session has id {session_id!r}.")
    return row


def list_sessions(
    db: Session,
    *,
    starts_from: datetime | None,
    until: datetime | None,
    provider_id: str | None,
    room_id: str | None,
    client_id: str | None,
    status: SessionStatus | None,
    limit: int,
    cursor: str | None,
) -> SessionPage:
    return repository.page_of_sessions(
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


def reschedule(
    db: Session,
    settings: Settings,
    caller: Caller,
    session_id: str,
    body: SessionReschedule,
    if_match: str | None,
    *,
    course: PlanCourse,
) -> tuple[TreatmentSession, ZoneInfo, Verdict]:
    """Move a booked session, in the documented order (docs/domain.md#booking-checks): the body's
    ids, the session (If-Match, its state), then, when it moves, every booking check again with
    its own blocks ignored; a PATCH of ``notes`` alone checks no booking rule."""
    _may_override(caller, body.override_reason)
    changes = body.model_dump(exclude_unset=True)
    _check_new_resources(db, changes)
    session = get_session(db, session_id, for_update=True)
    require_if_match(if_match, session.version)
    _transition(session, Action.reschedule)
    request = _moved_request(session, changes)
    if not _moves(session, request):
        return _change_notes(db, settings, caller, session, changes)
    location = booking.check_references(db, request)
    # A new room must hold the session's device; the minutes stay the booked ones. Its own
    # room is not checked again: a room that stopped holding the device after the booking
    # does not pin the session to its time.
    if request.room_id != session.room_id:
        booking.check_device_in_room(db, request)
    plan = _locked_plan(db, session.plan_id) if session.plan_id else None
    in_plan = None
    if plan is not None:
        in_plan = booking.PlanBooking(course, plan, body.override_reason, session.id)
    checked, verdict = booking.check(
        db, settings, caller, request, location, plan=in_plan, quote=_booked_minutes(session)
    )
    booking.place(db, checked, session_id=session.id, moving=True)
    _move(db, caller, session, checked, changes, body.override_reason)
    if plan is not None:
        course.reflag(db, plan)
    record(db, caller, "reschedule", "session", session.id)
    _remember(db, settings, session, checked.zone, verdict)
    return session, checked.zone, verdict


def _check_new_resources(db: Session, changes: dict[str, Any]) -> None:
    """A new provider or room must exist: 422 naming the field."""
    for field in ("provider_id", "room_id"):
        if field in changes:
            model = Provider if field == "provider_id" else Room
            require_reference(
                db, model, changes[field], field=field, what=field.removesuffix("_id")
            )


def _moved_request(session: TreatmentSession, changes: dict[str, Any]) -> BookingRequest:
    """The booking the session would be after the PATCH."""
    return BookingRequest(
        client_id=session.client_id,
        provider_id=changes.get("provider_id", session.provider_id),
        room_id=changes.get("room_id", session.room_id),
        location_id=session.location_id,
        areas=list(session.areas),
        intensity=Intensity(session.intensity),
        numbing=session.numbing,
        starts_at=changes.get("starts_at", session.starts_at),
        device_code=session.device_code,
    )


def _moves(session: TreatmentSession, request: BookingRequest) -> bool:
    return (request.starts_at, request.provider_id, request.room_id) != (
        session.starts_at,
        session.provider_id,
        session.room_id,
    )


def _change_notes(
    db: Session,
    settings: Settings,
    caller: Caller,
    session: TreatmentSession,
    changes: dict[str, Any],
) -> tuple[TreatmentSession, ZoneInfo, Verdict]:
    """Only the notes change: no booking rule is at stake, and nothing moves."""
    if "notes" in changes:
        session.notes = changes["notes"]
    bump_version(session)
    db.flush()
    record(db, caller, "update", "session", session.id)
    zone = zone_of(db, session.location_id)
    verdict = verdicts_for(db, settings, [session], {session.location_id: zone})[session.id]
    _remember(db, settings, session, zone, verdict)
    return session, zone, verdict


def _booked_minutes(session: TreatmentSession) -> DurationQuote:
    """The session keeps the minutes it was booked with, whatever the catalogue says today."""
    return DurationQuote(
        treatment_minutes=session.treatment_minutes,
        numbing_minutes=session.numbing_minutes,
        turnover_minutes=session.turnover_minutes,
        segments=segments_for(
            session.numbing_minutes, session.treatment_minutes, session.turnover_minutes
        ),
    )


def _move(
    db: Session,
    caller: Caller,
    session: TreatmentSession,
    checked: booking.Booking,
    changes: dict[str, Any],
    override_reason: str | None,
) -> None:
    """Keep the move in the session's history, then move the session."""
    request = checked.request
    db.add(
        SessionMove(
            session_id=session.id,
            from_starts_at=session.starts_at,
            to_starts_at=request.starts_at,
            from_provider_id=session.provider_id,
            to_provider_id=request.provider_id,
            from_room_id=session.room_id,
            to_room_id=request.room_id,
            moved_by_key_id=caller.key_id,
        )
    )
    session.starts_at = request.starts_at
    session.ends_at = checked.ends_at
    session.provider_id = request.provider_id
    session.room_id = request.room_id
    if "notes" in changes:
        session.notes = changes["notes"]
    # A clinician's acceptance of the window covered the old start only.
    session.interval_override_reason = override_reason
    bump_version(session)
    db.flush()


def list_moves(
    db: Session, session_id: str, *, limit: int, cursor: str | None
) -> tuple[list[SessionMove], str | None]:
    get_session(db, session_id)
    return repository.page_of_moves(db, session_id, limit=limit, cursor=cursor)


_HOLD_GONE = {
    HoldStatus.expired: "The hold has expired.",
    HoldStatus.released: "The hold was released.",
    HoldStatus.converted: "The hold has already become a session.",
}

# "A cancelled session cannot be marked entered-in-error."
_SESSION_IN = {
    SessionStatus.booked: "A booked session",
    SessionStatus.arrived: "An arrived session",
    SessionStatus.fulfilled: "A fulfilled session",
    SessionStatus.cancelled: "A cancelled session",
    SessionStatus.noshow: "A session marked no-show",
    SessionStatus.entered_in_error: "A session marked entered-in-error",
}
_CANNOT = {
    Action.arrive: "be checked in",
    Action.complete: "be completed",
    Action.cancel: "be cancelled",
    Action.no_show: "be marked no-show",
    Action.entered_in_error: "be marked entered-in-error",
    Action.reschedule: "be rescheduled",
}


def _transition(session: TreatmentSession, action: Action) -> SessionStatus:
    current = session.status
    target = next_status(current, action)
    if target is None:
        raise TransitionNotAllowed(f"{_SESSION_IN[current]} cannot {_CANNOT[action]}.")
    return target


def _iso(instant: datetime, zone: ZoneInfo) -> str:
    return in_zone(instant, zone).isoformat()


def _check_timing(
    settings: Settings, session: TreatmentSession, action: Action, zone: ZoneInfo
) -> None:
    refusal = timing_refusal(
        action,
        now=utc_now(),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        treatment_starts_at=session.starts_at + timedelta(minutes=session.numbing_minutes),
        zone=zone,
        timing=FrontDeskTiming(
            arrive_lead=timedelta(minutes=settings.arrive_lead_minutes),
            arrive_grace=timedelta(minutes=settings.arrive_grace_minutes),
        ),
    )
    if refusal is not None:
        detail, possible_from = refusal
        # A program retries at `possible_from`; without it, the action will never be possible.
        extensions: dict[str, Any] = (
            {} if possible_from is None else {"possible_from": _iso(possible_from, zone)}
        )
        raise TransitionNotAllowed(detail, **extensions)


def _check_arrival(
    db: Session, settings: Settings, session: TreatmentSession, zone: ZoneInfo
) -> None:
    """On the day, the client needs a screening valid today and acknowledged cautions."""
    today = local_date(utc_now(), zone)
    verdict = verdicts(db, settings, [(session.client_id, today)])[(session.client_id, today)]
    open_reasons = [r for r in verdict.reasons if r.accepted_by is None]
    if any(r.code in (NO_SCREENING, SCREENING_EXPIRED) for r in open_reasons):
        raise ScreeningExpired("The client has no screening valid today; screen them at check-in.")
    if any(r.blocks for r in open_reasons):
        raise NotEligible("The client's screening now shows a contraindication.")
    if any(r.kind is ReasonKind.caution for r in open_reasons):
        raise CautionsUnacknowledged("A clinician must acknowledge the client's cautions first.")


def act(
    db: Session,
    settings: Settings,
    caller: Caller,
    session_id: str,
    action: Action,
    if_match: str | None,
    *,
    reason: str | None = None,
    course: PlanCourse,
) -> TreatmentSession:
    session = get_session(db, session_id, for_update=True)
    check_if_match(if_match, session.version)
    target = _transition(session, action)
    # Session, then plan, then blocks: the order every booking and move takes its locks in.
    plan = _locked_plan(db, session.plan_id) if session.plan_id else None
    if action in (Action.arrive, Action.complete, Action.no_show):
        zone = zone_of(db, session.location_id)
        _check_timing(settings, session, action, zone)
        if action is Action.arrive:
            _check_arrival(db, settings, session, zone)
    if not holds_time(target):
        repository.delete_blocks(db, session_id=session.id)
    session.status = target
    if action is Action.cancel:
        session.cancel_reason = reason
    bump_version(session)
    db.flush()
    if plan is not None:
        # A session leaving the course changes which session is which: re-evaluate the rest.
        course.reflag(db, plan)
        if target is SessionStatus.fulfilled:
            course.complete_if_done(db, plan)
    record(db, caller, action.value, "session", session.id)
    return session


def day_schedule(
    db: Session,
    *,
    day: date,
    zone: ZoneInfo,
    provider_id: str | None = None,
    room_id: str | None = None,
) -> tuple[datetime, datetime, list[Row[Any]]]:
    """The sessions of a provider or a room on a local day, in start order, as stored rows."""
    start, end = local_day_bounds(day, zone)
    rows = repository.live_sessions_between(
        db, start, end, provider_id=provider_id, room_id=room_id
    )
    return start, end, rows


def provider_zone(db: Session, provider_id: str, location_id: str | None) -> ZoneInfo:
    """The zone of the day a provider's schedule shows: the location asked for or, left out,
    the first of the provider's working plan."""
    found = repository.provider_day_zone(db, provider_id, location_id)
    if found is None:
        raise NotFound(f"No provider has id {provider_id!r}.")
    if found.location_id is None:
        raise ValidationFailed(
            "The provider has no working plan; name the location whose day to show.",
            [
                field_error(
                    "query", "location_id", "Required for this provider.", "location_required"
                )
            ],
        )
    if found.time_zone is None:
        raise ValidationFailed(
            "No location has this id.",
            [field_error("query", "location_id", "No location has this id.", "unknown_reference")],
        )
    return ZoneInfo(found.time_zone)


def room_zone(db: Session, room_id: str) -> ZoneInfo:
    room = get_or_404(db, Room, room_id, what="room")
    return zone_of(db, room.location_id)


# What a booking, move or notes change already computed for its session's read, kept for the
# transaction's change-feed event (rendered at commit): the session, its zone and its verdict.
_KNOWN = "needleplan.sessions.known_reads"
_Known = tuple[TreatmentSession, ZoneInfo, tuple[str, date, Rules], Verdict]


def _remember(
    db: Session, settings: Settings, session: TreatmentSession, zone: ZoneInfo, verdict: Verdict
) -> None:
    """Keep the session, zone and eligibility verdict the use case computed, for this transaction
    only, so the event's render at commit reads and decides none of them again. The verdict
    holds for the client, local date and rules it was computed on (``_render`` checks them)."""
    transaction = db.get_transaction()
    held = db.info.get(_KNOWN)
    if held is None or held[0] is not transaction:
        known: dict[str, _Known] = {}
        db.info[_KNOWN] = (transaction, known)
    else:
        known = held[1]
    on = local_date(session.starts_at, zone)
    known[session.id] = (session, zone, (session.client_id, on, rules_from(settings)), verdict)


def _known(db: Session, session_id: str) -> _Known | None:
    held = db.info.get(_KNOWN)
    if held is None or held[0] is not db.get_transaction():
        return None
    found: _Known | None = held[1].get(session_id)
    return found


def _render(db: Session, session_id: str, role: Role) -> SessionRead | None:
    """As ``GET /v1/sessions/{session_id}`` reads it (screening flags under the deployment's
    settings), from what the transaction's use case already computed when it still holds."""
    settings = settings_of(db)
    known = _known(db, session_id)
    if known is not None:
        session, zone, verdict_key, verdict = known
        on = local_date(session.starts_at, zone)
        if verdict_key == (session.client_id, on, rules_from(settings)):
            return session_read(session, zone, verdict, role)
    loaded = db.get(TreatmentSession, session_id)
    if loaded is None:
        return None
    zone = zone_of(db, loaded.location_id)
    found = verdicts_for(db, settings, [loaded], {loaded.location_id: zone})
    return session_read(loaded, zone, found.get(loaded.id), role)


def _for_integration(read: BaseModel) -> BaseModel:
    assert isinstance(read, SessionRead)
    return integration_view(read)


renders("session", _render, narrowed=_for_integration)
