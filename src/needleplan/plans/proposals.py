"""Proposals for a plan: the next session's best slots, and a whole course at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from needleplan.auth.service import Caller
from needleplan.availability.service import MAX_RANGE, Calendar, free_runs, open_calendar
from needleplan.availability.slots import Slot
from needleplan.config import Settings
from needleplan.devices.service import usable_device
from needleplan.durations.quote import Intensity
from needleplan.kit.time import END_OF_CALENDAR, utc_now
from needleplan.locations.service import get_location, zone_of
from needleplan.models import Location, TreatmentPlan, TreatmentSession
from needleplan.plans import course
from needleplan.plans.problems import CourseNotFeasible, PlanFull, full_detail
from needleplan.plans.ranking import Ranking, top
from needleplan.plans.windows import Window, window_after
from needleplan.sessions.schemas import SessionCreate, SessionRead
from needleplan.sessions.service import create_session
from needleplan.sessions.views import session_read

FIRST_SESSION_HORIZON = timedelta(days=14)
FIRST_LOOK = timedelta(days=2)


@dataclass(frozen=True)
class Ranked:
    window: Window | None
    slots: list[Slot]
    zone: ZoneInfo
    client_minutes: int


def _calendar(
    db: Session,
    settings: Settings,
    plan: TreatmentPlan,
    location: Location,
    now: datetime,
    until: datetime,
    *,
    many_windows: bool = False,
) -> Calendar:
    """The plan's calendar from ``now`` (no search starts earlier) to ``until``: with the plan's
    device, its minutes and only rooms holding it. ``many_windows``: the calendar will serve
    several windows far apart, so it learns where the client's and clinic's sessions end."""
    device = usable_device(db, plan.device_code)
    return open_calendar(
        db,
        settings,
        location=location,
        areas=list(plan.areas),
        intensity=Intensity(plan.intensity),
        numbing=plan.numbing,
        starts_from=now,
        until=max(now, until),
        device=device,
        bound_busy_days_of_client=plan.client_id if many_windows else None,
    )


def _search_window(
    db: Session,
    settings: Settings,
    plan: TreatmentPlan,
    calendar: Calendar,
    starts_from: datetime,
    until: datetime,
    previous: TreatmentSession | Slot | None,
    limit: int,
    now: datetime,
) -> list[Slot]:
    starts_from = max(starts_from, now)
    # A slot past the end of the calendar could be proposed but never booked.
    until = min(until, starts_from + MAX_RANGE, END_OF_CALENDAR)
    if until <= starts_from:
        return []
    preferred = plan.provider_id or (previous.provider_id if previous is not None else None)
    previous_start = previous.starts_at if previous is not None else None
    ranking = Ranking(calendar.zone, preferred_provider=preferred, previous_start=previous_start)

    def best_of(provider_id: str | None, end: datetime) -> list[Slot]:
        runs = free_runs(
            db,
            settings,
            calendar,
            starts_from,
            end,
            provider_id=provider_id,
            client_id=plan.client_id,
        )
        return top(runs, settings.slot_grid_minutes, ranking, limit)

    def best_for(provider_id: str | None) -> list[Slot]:
        # With no previous session, and every provider searched equally preferred, the
        # earliest start wins: when the first days already hold enough slots, later ones
        # cannot beat them.
        equally_preferred = preferred is None or provider_id == preferred
        if previous_start is None and equally_preferred and until - starts_from > FIRST_LOOK:
            found = best_of(provider_id, starts_from + FIRST_LOOK)
            if len(found) >= limit:
                return found
        return best_of(provider_id, until)

    # The preferred provider's slots rank above everyone else's: when they alone fill the
    # list, nobody else needs searching.
    if preferred is not None:
        found = best_for(preferred)
        if len(found) >= limit:
            return found
    return best_for(None)


def next_slots(db: Session, settings: Settings, plan: TreatmentPlan, limit: int) -> Ranked:
    course.check_takes_bookings(plan)
    counting = course.counting_sessions(db, plan.id)
    location = get_location(db, plan.location_id)
    zone = zone_of(db, location.id)
    if len(counting) >= plan.sessions_planned:
        return Ranked(None, [], zone, 0)
    now = utc_now()
    if not counting:
        calendar = _calendar(db, settings, plan, location, now, now + FIRST_SESSION_HORIZON)
        slots = _search_window(
            db, settings, plan, calendar, now, now + FIRST_SESSION_HORIZON, None, limit, now
        )
        return Ranked(None, slots, zone, calendar.offsets.client_minutes)
    previous = counting[-1]
    window = window_after(
        previous.starts_at, len(counting) + 1, zone, plan.min_interval_days, plan.max_interval_days
    )
    calendar = _calendar(db, settings, plan, location, now, window.ends_at)
    slots = _search_window(
        db, settings, plan, calendar, window.starts_at, window.ends_at, previous, limit, now
    )
    return Ranked(window, slots, zone, calendar.offsets.client_minutes)


def propose_course(
    db: Session, settings: Settings, plan: TreatmentPlan, starts_from: datetime | None
) -> tuple[list[Slot], ZoneInfo, int]:
    """One slot per remaining session, each inside its window after the one before."""
    course.check_takes_bookings(plan)
    counting = course.counting_sessions(db, plan.id)
    location = get_location(db, plan.location_id)
    zone = zone_of(db, location.id)
    previous: TreatmentSession | Slot | None = counting[-1] if counting else None
    proposals: list[Slot] = []
    now = utc_now()
    begin = starts_from or now
    # Each window ends within max_interval_days (plus a local day and a DST hour) of the
    # session before it, so this bounds every window the loop can search.
    anchor = begin + FIRST_SESSION_HORIZON if previous is None else previous.starts_at
    remaining = plan.sessions_planned - len(counting)
    calendar = _calendar(
        db,
        settings,
        plan,
        location,
        now,
        max(anchor, now) + remaining * timedelta(days=plan.max_interval_days + 2),
        many_windows=True,
    )
    for number in range(len(counting) + 1, plan.sessions_planned + 1):
        if previous is None:
            slots = _search_window(
                db, settings, plan, calendar, begin, begin + FIRST_SESSION_HORIZON, None, 1, now
            )
        else:
            window = window_after(
                previous.starts_at, number, zone, plan.min_interval_days, plan.max_interval_days
            )
            slots = _search_window(
                db, settings, plan, calendar, window.starts_at, window.ends_at, previous, 1, now
            )
        if not slots:
            raise CourseNotFeasible(
                f"No free slot was found for session {number} of the plan.",
                session_number=number,
            )
        previous = slots[0]
        proposals.append(slots[0])
    return proposals, zone, calendar.offsets.client_minutes


def book_course(
    db: Session, settings: Settings, caller: Caller, plan: TreatmentPlan, proposals: list[Slot]
) -> list[SessionRead]:
    """Book every proposal in the request's transaction: all of them, or (on any refusal) none.
    A plan with nothing left to book is refused (409 ``plan-full``) rather than booking nothing."""
    if not proposals:
        raise PlanFull(f"{full_detail(plan.sessions_planned)} Nothing is left to book.")
    booked = []
    for slot in proposals:
        body = SessionCreate(
            client_id=plan.client_id,
            provider_id=slot.provider_id,
            room_id=slot.room_id,
            location_id=plan.location_id,
            areas=list(plan.areas),
            intensity=Intensity(plan.intensity),
            starts_at=slot.starts_at,
            plan_id=plan.id,  # numbing left out: the plan's (source `plan`)
        )
        session, zone, verdict = create_session(db, settings, caller, body, course=course)
        booked.append(session_read(session, zone, verdict, caller.role))
    return booked
