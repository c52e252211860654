"""Every rule a booking must pass, in order (docs/domain.md#booking-checks), and placing its
busy blocks.

Used by sessions, holds and reschedules alike. Python checks first to answer with a precise
problem; the database's constraint (or SQLite's serialised trigger) gives the guarantee, and a
race lost there still answers 409 ``slot-taken``, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlmodel import Session

from needleplan.auth.service import Caller
from needleplan.clients.service import numbing_choice
from needleplan.config import Settings
from needleplan.devices.service import usable_device
from needleplan.durations.quote import DurationQuote, Intensity
from needleplan.durations.service import quote_for_codes
from needleplan.kit.crud import require_reference
from needleplan.kit.localtime import local_date
from needleplan.kit.statuses import NumbingSource
from needleplan.kit.time import utc_now
from needleplan.models import Client, Device, Location, Provider, Room, TreatmentPlan
from needleplan.problems import ValidationFailed, field_error
from needleplan.scheduling.intervals import covered
from needleplan.scheduling.working_time import working_intervals
from needleplan.screening.eligibility import Verdict
from needleplan.screening.service import check_eligibility, keep_summary
from needleplan.sessions import repository
from needleplan.sessions.blocks import Block, Placement, busy_blocks, treatment_interval
from needleplan.sessions.plan_course import PlanCourse
from needleplan.sessions.problems import (
    DeviceNotInRoom,
    InsufficientNotice,
    OffSlotGrid,
    OutsideWorkingHours,
    SlotTaken,
)
from needleplan.sessions.schemas import BookingFields


@dataclass(frozen=True)
class BookingRequest:
    client_id: str
    provider_id: str
    room_id: str
    location_id: str
    areas: list[str]
    intensity: Intensity
    numbing: bool
    starts_at: datetime
    # The device whose minutes the booking takes (docs/domain.md#devices), set by with_device.
    device_code: str | None = None


def request_from(body: BookingFields) -> BookingRequest:
    """What a session or hold body asks for. A ``numbing`` left out reads false here until
    ``with_numbing`` decides it, once the references are known."""
    return BookingRequest(
        client_id=body.client_id,
        provider_id=body.provider_id,
        room_id=body.room_id,
        location_id=body.location_id,
        areas=list(body.areas),
        intensity=body.intensity,
        numbing=bool(body.numbing),
        starts_at=body.starts_at,
    )


def with_numbing(
    db: Session, request: BookingRequest, asked: bool | None, *, plan: TreatmentPlan | None = None
) -> tuple[BookingRequest, NumbingSource]:
    """Right after the references: the numbing asked for; left out, the plan's, else the
    client's preference; 422 naming ``numbing`` when that is ``ask`` (docs/domain.md#comfort).
    The client is already loaded by ``check_references``: no statement."""
    chosen = numbing_choice(
        db, request.client_id, asked, plan_numbing=plan.numbing if plan is not None else None
    )
    return replace(request, numbing=chosen.numbing), chosen.source


def with_device(
    db: Session, request: BookingRequest, asked: str | None, *, plan: TreatmentPlan | None = None
) -> BookingRequest:
    """Right after the references: the device asked for, else the plan's (docs/domain.md#devices).
    Unknown or inactive: 422 naming ``device``; a room that does not hold it: 422
    ``device-not-in-room``."""
    code = asked if asked is not None else (plan.device_code if plan is not None else None)
    device = usable_device(db, code)
    if device is None:
        return request
    request = replace(request, device_code=device.code)
    check_device_in_room(db, request)
    return request


def check_device_in_room(db: Session, request: BookingRequest) -> None:
    """The room holds the booking's device (422 ``device-not-in-room``); a reschedule checks its
    new room with this. The room is already loaded by ``check_references``: no statement."""
    if request.device_code is None:
        return
    room = db.get(Room, request.room_id)
    if room is not None and request.device_code not in room.device_codes:
        raise DeviceNotInRoom(
            f"The room does not hold the device {request.device_code!r}; book a room that does."
        )


@dataclass(frozen=True)
class Booking:
    """A booking that passed every rule: what it occupies and how long it takes."""

    request: BookingRequest
    zone: ZoneInfo
    quote: DurationQuote
    blocks: list[Block]

    @property
    def ends_at(self) -> datetime:
        return treatment_interval(self.request.starts_at, self.quote.segments).end


def check_references(db: Session, request: BookingRequest) -> Location:
    """Unknown or inconsistent ids in the body: 422 naming the field
    (docs/domain.md#booking-checks)."""
    # One round trip loads all four into the identity map (held by ``require_reference``), so
    # the checks below read none of them again; a missing one is then named in the documented
    # order.
    _held = repository.references(
        db, request.client_id, request.provider_id, request.location_id, request.room_id
    )
    if _held is not None:  # the client's eligibility summary came with them
        keep_summary(db, request.client_id, _held[4])
    require_reference(db, Client, request.client_id, field="client_id", what="client")
    provider = require_reference(
        db, Provider, request.provider_id, field="provider_id", what="provider"
    )
    location = require_reference(
        db, Location, request.location_id, field="location_id", what="location"
    )
    room = require_reference(db, Room, request.room_id, field="room_id", what="room")
    errors = []
    if room.location_id != location.id:
        errors.append(
            field_error("body", "room_id", "The room is at another location.", "wrong_location")
        )
    if not room.active:
        errors.append(field_error("body", "room_id", "The room is not in service.", "inactive"))
    if not provider.active:
        errors.append(field_error("body", "provider_id", "The provider is not active.", "inactive"))
    if errors:
        raise ValidationFailed("The room or provider cannot take this booking.", errors)
    return location


@dataclass(frozen=True)
class PlanBooking:
    """The plan a booking belongs to: its course checks the plan's state and window (step 2).
    ``moving_session_id``: the session being rescheduled, which does not count against it."""

    course: PlanCourse
    plan: TreatmentPlan
    override_reason: str | None
    moving_session_id: str | None = None


def check_client_eligibility(
    db: Session, settings: Settings, caller: Caller, request: BookingRequest, zone: ZoneInfo
) -> Verdict:
    """Step 1: the client may be booked on the session's local date (422 ``not-eligible``)."""
    on = local_date(request.starts_at, zone)
    return check_eligibility(db, settings, caller, request.client_id, on)


def check_plan_state_and_window(db: Session, plan: PlanBooking | None, starts_at: datetime) -> None:
    """Step 2: a plan's booking: the plan takes bookings, has one left, and ``starts_at`` is in
    the follow-up window (409 ``plan-not-active``, 409 ``plan-full``, 422
    ``interval-violation``). Nothing to check outside a plan."""
    if plan is not None:
        plan.course.check_plan_booking(
            db,
            plan.plan,
            starts_at,
            override_reason=plan.override_reason,
            moving_session_id=plan.moving_session_id,
        )


def check_grid_and_notice(settings: Settings, starts_at: datetime, zone: ZoneInfo) -> None:
    """Step 3: the local start is on the slot grid and far enough ahead."""
    local = starts_at.astimezone(zone)
    minute_of_day = local.hour * 60 + local.minute
    if local.second or local.microsecond or minute_of_day % settings.slot_grid_minutes:
        raise OffSlotGrid(
            f"Sessions start every {settings.slot_grid_minutes} minutes in local time; "
            f"{local.isoformat()} is not on that grid."
        )
    now = utc_now()
    notice = settings.minimum_notice_minutes
    if starts_at < now + timedelta(minutes=notice):
        if notice == 0:
            raise InsufficientNotice("The start is in the past.")
        minutes = "1 minute" if notice == 1 else f"{notice} minutes"
        when = "is in the past" if starts_at < now else f"is less than {minutes} from now"
        raise InsufficientNotice(f"The start {when}; sessions are booked at least {minutes} ahead.")


def check_working_hours(
    db: Session, request: BookingRequest, quote: DurationQuote, zone: ZoneInfo
) -> None:
    """Step 4: the provider works at the location for the whole treatment segment."""
    treatment = treatment_interval(request.starts_at, quote.segments)
    first_day = local_date(treatment.start, zone)
    last_day = local_date(treatment.end, zone)
    plan, exceptions = repository.working_time(
        db, request.provider_id, request.location_id, treatment.start, treatment.end
    )
    working = working_intervals(plan, exceptions, zone, first_day, last_day)
    if not covered(treatment, working):
        local_start = treatment.start.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")
        raise OutsideWorkingHours(
            f"The provider does not work at this location for the whole treatment "
            f"({local_start}, {quote.treatment_minutes} min)."
        )


def conflicts_of(rows: list[Row[Any]]) -> list[dict[str, str | None]]:
    """The ``conflicts`` of a 409 ``slot-taken`` (docs/domain.md#overlaps): each busy resource
    and the session or hold that holds it."""
    return [
        {
            "resource": row.resource_kind,
            "id": row.resource_id,
            **({"session_id": row.session_id} if row.session_id else {"hold_id": row.hold_id}),
        }
        for row in rows
    ]


def _slot_taken(rows: list[Row[Any]]) -> SlotTaken:
    resources = ", ".join(dict.fromkeys(row.resource_kind for row in rows))
    return SlotTaken(f"Already busy then: {resources}.", conflicts=conflicts_of(rows))


def check(
    db: Session,
    settings: Settings,
    caller: Caller,
    request: BookingRequest,
    location: Location,
    *,
    plan: PlanBooking | None = None,
    quote: DurationQuote | None = None,
) -> tuple[Booking, Verdict]:
    """The checks after the references (``check_references`` gave ``location``), in the
    documented order (docs/domain.md#booking-checks): eligibility, plan state and window, slot
    grid and notice, working hours. Overlaps come last, when ``place`` occupies the blocks.
    ``quote``: the minutes to book (a reschedule keeps its own); else quoted from the areas."""
    if quote is None:
        quote = quote_for_codes(
            db,
            settings,
            request.areas,
            request.intensity,
            numbing=request.numbing,
            device=db.get(Device, request.device_code) if request.device_code else None,
        )
    zone = ZoneInfo(location.time_zone)
    verdict = check_client_eligibility(db, settings, caller, request, zone)
    check_plan_state_and_window(db, plan, request.starts_at)
    check_grid_and_notice(settings, request.starts_at, zone)
    check_working_hours(db, request, quote, zone)
    placement = Placement(request.client_id, request.provider_id, request.room_id, quote.segments)
    return Booking(request, zone, quote, busy_blocks(request.starts_at, placement)), verdict


def place(
    db: Session,
    booking: Booking,
    *,
    session_id: str | None = None,
    hold_id: str | None = None,
    expires_at: datetime | None = None,
    moving: bool = False,
    releasing_hold_id: str | None = None,
) -> None:
    """Occupy the booking's blocks for its owner, or answer 409 naming what is in the way.

    A session being moved (``moving``) and a hold being converted (``releasing_hold_id``) give
    up their own blocks in the same transaction, so they never conflict with themselves.
    """
    if moving:
        repository.delete_blocks(db, session_id=session_id)
    if releasing_hold_id is not None:
        repository.delete_blocks(db, hold_id=releasing_hold_id)
    in_the_way, expired = _split_expired(repository.overlapping_blocks(db, booking.blocks))
    if in_the_way:
        raise _slot_taken(in_the_way)
    # Expired holds stop blocking without any background job: clear the ones in the way.
    repository.delete_blocks_by_id(db, [block.id for block in expired])
    placed = repository.insert_blocks(
        db, booking.blocks, session_id=session_id, hold_id=hold_id, expires_at=expires_at
    )
    if not placed:
        # Lost a race to a concurrent booking that committed first; name it.
        raise _slot_taken(_split_expired(repository.overlapping_blocks(db, booking.blocks))[0])


def _split_expired(rows: list[Row[Any]]) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """(live blocks, blocks of holds that have expired): rows of ``busy_blocks``."""
    now = utc_now()
    live: list[Row[Any]] = []
    expired: list[Row[Any]] = []
    for row in rows:
        (expired if row.expires_at is not None and row.expires_at <= now else live).append(row)
    return live, expired
