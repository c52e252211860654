"""Availability searches: load the calendar of the range once, then the pure slot finder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from needleplan.availability import repository
from needleplan.availability.slots import Offsets, RoomFree, SlotRun, find_runs
from needleplan.config import Settings
from needleplan.durations.quote import Intensity
from needleplan.durations.service import quote_for_codes
from needleplan.kit.localtime import local_date
from needleplan.kit.time import utc_now
from needleplan.models import Location, Provider, Room
from needleplan.problems import ValidationFailed, field_error
from needleplan.scheduling.intervals import Interval, subtract
from needleplan.scheduling.working_time import working_intervals

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
    client_id: str | None = None


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
    locations = db.exec(select(Location).limit(2)).all()
    if len(locations) != 1:
        raise _query_error("location_id", "Name the location to search.", "location_required")
    return locations[0]


def search(
    db: Session, settings: Settings, query: Search
) -> tuple[list[SlotRun], ZoneInfo, Offsets]:
    """Every start in [from, to) at which the booking would succeed right now."""
    if query.until <= query.starts_from:
        raise _query_error("to", "`to` must be after `from`.", "range")
    if query.until - query.starts_from > MAX_RANGE:
        raise _query_error("to", "Search at most 31 days at a time.", "range")
    location = db.get(Location, query.location_id)
    assert location is not None
    zone = ZoneInfo(location.time_zone)
    quote = quote_for_codes(
        db, settings, query.areas, query.intensity, numbing=query.numbing, location="query"
    )
    offsets = Offsets(quote.numbing_minutes, quote.treatment_minutes, quote.turnover_minutes)
    earliest = max(
        query.starts_from, utc_now() + timedelta(minutes=settings.minimum_notice_minutes)
    )
    span_end = query.until + timedelta(minutes=offsets.total)
    if query.provider_id is not None:
        provider = db.get(Provider, query.provider_id)
        if provider is None:
            raise _query_error("provider_id", "No provider has this id.", "unknown_reference")
        plans = repository.weekly_plans(db, location.id, [query.provider_id])
        provider_ids = [query.provider_id] if provider.active else []
    else:
        plans = repository.weekly_plans(db, location.id, None)
        extra = repository.extra_hours_providers(db, location.id, query.starts_from, span_end)
        provider_ids = sorted(set(plans) | set(extra))
    rooms = repository.rooms(db, location.id, query.room_id)
    exceptions = repository.exceptions(db, provider_ids, location.id, query.starts_from, span_end)
    resources = [
        *provider_ids,
        *(r.id for r in rooms),
        *([query.client_id] if query.client_id else []),
    ]
    busy = repository.busy(
        db,
        resources,
        query.starts_from,
        span_end,
        utc_now(),
        useless_gap_minutes={
            "provider": offsets.treatment,
            "room": offsets.total,
            "client": offsets.client_minutes,
        },
    )
    first_day = local_date(query.starts_from, zone)
    last_day = local_date(span_end, zone)
    providers = {
        provider_id: subtract(
            working_intervals(
                plans.get(provider_id, []),
                exceptions.get(provider_id, []),
                zone,
                first_day,
                last_day,
            ),
            busy.get(provider_id, []),
        )
        for provider_id in provider_ids
    }
    whole = [Interval(query.starts_from, span_end)]
    room_free = [RoomFree(r.id, r.name, subtract(whole, busy.get(r.id, []))) for r in rooms]
    client_free = subtract(whole, busy.get(query.client_id, [])) if query.client_id else None
    runs = find_runs(
        providers=providers,
        rooms=room_free,
        offsets=offsets,
        earliest=earliest,
        latest=query.until,
        zone=zone,
        grid=settings.slot_grid_minutes,
        client_free=client_free,
    )
    return runs, zone, offsets
