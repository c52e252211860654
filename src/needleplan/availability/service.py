"""Availability searches: load the calendar of the range once, then the pure slot finder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from needleplan.availability import repository
from needleplan.availability.slots import Offsets, RoomFree, SlotRun, find_runs
from needleplan.config import Settings
from needleplan.devices.service import usable_device
from needleplan.durations.quote import Intensity
from needleplan.durations.service import quote_for_codes
from needleplan.kit.localtime import local_date
from needleplan.kit.time import utc_now
from needleplan.locations.repository import any_two
from needleplan.models import Device, Location, Provider, Room
from needleplan.problems import ValidationFailed, field_error
from needleplan.scheduling.intervals import Interval
from needleplan.scheduling.minutes import MINUTE, MinuteLine
from needleplan.scheduling.working_time import DatedException, WeeklyInterval, working_intervals
from needleplan.sessions import busy_days
from needleplan.sessions.problems import DeviceNotInRoom

MAX_RANGE = timedelta(days=31)


@dataclass(frozen=True)
class Search:
    areas: list[str]
    intensity: Intensity
    numbing: bool
    starts_from: datetime
    until: datetime
    location_id: str
    provider_id: str | None = None
    room_id: str | None = None
    client_id: str | None = None  # only where this client is free too
    device: str | None = None  # its minutes, and only rooms holding it


def _query_error(field: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, [field_error("query", field, detail, code)])


def resolve_location(db: Session, location_id: str | None, room_id: str | None) -> Location:
    """The location searched: named, the room's, or the only one there is."""
    if room_id is not None and db.get(Room, room_id) is None:
        raise _query_error("room_id", "No room has this id.", "unknown_reference")
    if location_id is not None:
        location = db.get(Location, location_id)
        if location is None:
            raise _query_error("location_id", "No location has this id.", "unknown_reference")
        return location
    if room_id is not None:
        room = db.get(Room, room_id)
        assert room is not None
        found = db.get(Location, room.location_id)
        assert found is not None
        return found
    locations = any_two(db)
    if len(locations) != 1:
        raise _query_error("location_id", "Name the location to search.", "location_required")
    return locations[0]


@dataclass(frozen=True)
class BusyBound:
    """The last UTC day of a calendar's horizon on which any of its providers and rooms, or
    ``client_id``, has session-busy minutes (None: no such day). A search that starts after it
    needs no read of the summary: every resource it looks at is free of sessions there.

    It is read with the calendar's other reads: a session booked after them is no more seen
    by the searches than a hold placed after them. A proposal is advice; the booking checks
    again."""

    client_id: str | None
    last_day: date | None

    def rules_out(self, line: MinuteLine, client_id: str | None) -> bool:
        """Whether no resource of a search of ``client_id`` is session-busy on ``line``."""
        if client_id is not None and client_id != self.client_id:
            return False
        return self.last_day is None or self.last_day < line.origin.date()


@dataclass(frozen=True)
class Calendar:
    """What every search at one location for one kind of session shares over a stretch of
    time (``horizon``): read once, so that the many windows of a course proposal only read
    the busy minutes of each (and, with a ``busy_bound``, none past the last busy day). Time
    off, extra hours and live holds are few, so all of them in the horizon are read at once."""

    location_id: str
    zone: ZoneInfo
    offsets: Offsets
    plans: dict[str, list[WeeklyInterval]]  # active providers' weekly plans at the location
    rooms: list[repository.SearchedRoom]
    horizon: Interval
    exceptions: repository.Exceptions
    holds: dict[str, list[Interval]]  # unexpired hold blocks by resource
    busy_bound: BusyBound | None = None  # None: every search reads its days of the summary


def open_calendar(
    db: Session,
    settings: Settings,
    *,
    location: Location,
    areas: list[str],
    intensity: Intensity,
    numbing: bool,
    starts_from: datetime,
    until: datetime,
    room_id: str | None = None,
    device: Device | None = None,
    bound_busy_days_of_client: str | None = None,
) -> Calendar:
    """A calendar for searching starts in [starts_from, until) at ``location``; with a
    ``device``, its minutes and only the rooms that hold it.

    With ``bound_busy_days_of_client``, the calendar also knows the last day on which its
    resources or that client are busy with sessions (``BusyBound``): one statement more, that
    spares one per search after that day. Worth it for the many windows of a course, which
    often reach months past the booked weeks."""
    quote = quote_for_codes(
        db, settings, areas, intensity, numbing=numbing, location="query", device=device
    )
    offsets = Offsets(quote.numbing_minutes, quote.treatment_minutes, quote.turnover_minutes)
    horizon = Interval(starts_from, until + timedelta(minutes=offsets.total))
    plans = repository.weekly_plans(db, location.id)
    rooms = repository.rooms(db, location.id, room_id, device.code if device else None)
    exceptions, holds = repository.exceptions_and_holds(
        db, location.id, horizon.start, horizon.end, utc_now()
    )
    busy_bound = None
    if bound_busy_days_of_client is not None:
        client_id = bound_busy_days_of_client
        resources = [
            *sorted(set(plans) | exceptions.extra_hours),
            *(r.id for r in rooms),
            client_id,
        ]
        last_day = busy_days.last_busy_day(
            db,
            resources,
            horizon.start.astimezone(UTC).date(),
            (horizon.end - MINUTE).astimezone(UTC).date(),
        )
        busy_bound = BusyBound(client_id, last_day)
    return Calendar(
        location_id=location.id,
        zone=ZoneInfo(location.time_zone),
        offsets=offsets,
        plans=plans,
        rooms=rooms,
        horizon=horizon,
        exceptions=exceptions,
        holds=holds,
        busy_bound=busy_bound,
    )


def search(
    db: Session, settings: Settings, query: Search
) -> tuple[list[SlotRun], ZoneInfo, Offsets]:
    """Every start in [from, to) at which the booking would succeed right now."""
    _check_range(query.starts_from, query.until)
    if query.provider_id is not None and db.get(Provider, query.provider_id) is None:
        raise _query_error("provider_id", "No provider has this id.", "unknown_reference")
    location = db.get(Location, query.location_id)
    assert location is not None
    device = usable_device(db, query.device, location="query")
    if device is not None and query.room_id is not None:
        room = db.get(Room, query.room_id)  # loaded by resolve_location: no statement
        if room is not None and device.code not in room.device_codes:
            raise DeviceNotInRoom(
                f"The room does not hold the device {device.code!r}: search a room that does, "
                "or leave room_id out."
            )
    calendar = open_calendar(
        db,
        settings,
        location=location,
        areas=query.areas,
        intensity=query.intensity,
        numbing=query.numbing,
        starts_from=query.starts_from,
        until=query.until,
        room_id=query.room_id,
        device=device,
    )
    runs = free_runs(
        db,
        settings,
        calendar,
        query.starts_from,
        query.until,
        provider_id=query.provider_id,
        client_id=query.client_id,
    )
    return runs, calendar.zone, calendar.offsets


def _check_range(starts_from: datetime, until: datetime) -> None:
    if until <= starts_from:
        raise _query_error("to", "`to` must be after `from`.", "range")
    if until - starts_from > MAX_RANGE:
        raise _query_error("to", "Search at most 31 days at a time.", "range")


def free_runs(
    db: Session,
    settings: Settings,
    calendar: Calendar,
    starts_from: datetime,
    until: datetime,
    *,
    provider_id: str | None = None,
    client_id: str | None = None,
) -> list[SlotRun]:
    """The calendar's free starts in [starts_from, until): of one provider or of all, and
    only where the client is free too when one is named. One query, whatever the range."""
    _check_range(starts_from, until)
    offsets, zone, exceptions = calendar.offsets, calendar.zone, calendar.exceptions
    earliest = max(starts_from, utc_now() + timedelta(minutes=settings.minimum_notice_minutes))
    span_end = until + timedelta(minutes=offsets.total)
    if not calendar.horizon.contains(Interval(starts_from, span_end)):
        raise ValueError("the search reaches beyond the calendar's horizon")
    if provider_id is not None:
        provider_ids = (
            [provider_id]
            if provider_id in calendar.plans or provider_id in exceptions.extra_hours
            else []
        )
    else:
        provider_ids = sorted(set(calendar.plans) | exceptions.extra_hours)
    resources = [
        *provider_ids,
        *(r.id for r in calendar.rooms),
        *([client_id] if client_id else []),
    ]
    # Whole UTC days, so the summary's day rows line up end to end.
    line = MinuteLine.of_days(
        starts_from.astimezone(UTC).date(), (span_end - MINUTE).astimezone(UTC).date()
    )
    if calendar.busy_bound is not None and calendar.busy_bound.rules_out(line, client_id):
        busy: dict[str, int] = {}
    else:
        busy = busy_days.busy_minutes(db, line, resources)
    for resource_id in resources:
        if resource_id in calendar.holds:
            busy[resource_id] = busy.get(resource_id, 0) | line.touched(calendar.holds[resource_id])
    first_day = local_date(starts_from, zone)
    last_day = local_date(span_end, zone)
    # Providers often share a weekly plan: each distinct (plan, exceptions) is expanded once.
    working: dict[tuple[tuple[WeeklyInterval, ...], tuple[DatedException, ...]], int] = {}
    providers = {}
    for provider_id in provider_ids:
        plan = (tuple(calendar.plans.get(provider_id, [])), tuple(exceptions.of(provider_id)))
        if plan not in working:
            working[plan] = line.covered(
                working_intervals(plan[0], plan[1], zone, first_day, last_day)
            )
        providers[provider_id] = working[plan] & ~busy.get(provider_id, 0)
    # Rooms with no busy minute share one mask, which find_runs then fits once for all of them.
    everything = line.everything
    rooms = [
        RoomFree(r.id, r.name, everything & ~busy[r.id] if r.id in busy else everything)
        for r in calendar.rooms
    ]
    return find_runs(
        line=line,
        providers=providers,
        rooms=rooms,
        offsets=offsets,
        earliest=earliest,
        latest=until,
        zone=zone,
        grid=settings.slot_grid_minutes,
        client_free=everything & ~busy.get(client_id, 0) if client_id else None,
    )
