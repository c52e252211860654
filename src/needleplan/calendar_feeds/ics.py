"""An iCalendar (RFC 5545) document of sessions, built with the ``icalendar`` package.

What an event shows is decided here: the areas and the room, the client's name only when the
feed was created with ``include_client_names``; never notes or anything else about the client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from needleplan import __version__
from needleplan.kit.statuses import SessionStatus
from needleplan.models import Client, Location, Room, TreatmentSession

PRODID = f"-//needleplan//needleplan {__version__}//EN"
_CANCELLED = {SessionStatus.cancelled, SessionStatus.noshow, SessionStatus.entered_in_error}


@dataclass(frozen=True)
class FeedContent:
    scope: str
    name: str  # the calendar's name (X-WR-CALNAME)
    zone: str  # the calendar's own zone (X-WR-TIMEZONE)
    sessions: Sequence[TreatmentSession]
    rooms: Mapping[str, Room]
    locations: Mapping[str, Location]
    area_names: Mapping[str, str]
    clients: Mapping[str, Client]  # empty unless the feed names clients
    since: datetime
    until: datetime


def span_of(scope: str, session: TreatmentSession) -> tuple[datetime, datetime]:
    """A provider's feed shows the treatment (the provider is free while numbing cream works);
    the others the whole stay, from arrival to the end of the treatment."""
    treatment_start = session.starts_at + timedelta(minutes=session.numbing_minutes)
    end = treatment_start + timedelta(minutes=session.treatment_minutes)
    return (treatment_start if scope == "provider" else session.starts_at), end


def _summary(content: FeedContent, session: TreatmentSession) -> str:
    areas = ", ".join(content.area_names.get(code, code) for code in session.areas)
    room = content.rooms.get(session.room_id)
    text = f"{areas} ({room.name})" if room is not None else areas
    client = content.clients.get(session.client_id)
    if client is not None:
        text = f"{client.first_name} {client.last_name}: {text}"
    if session.status in _CANCELLED:
        text = f"Cancelled: {text}"
    return text


def _event(content: FeedContent, session: TreatmentSession) -> Event:
    location = content.locations[session.location_id]
    zone = ZoneInfo(location.time_zone)
    start, end = span_of(content.scope, session)
    modified = session.updated_at or session.created_at
    room = content.rooms.get(session.room_id)
    event = Event()
    event.add("uid", f"{session.id}@needleplan")
    # The last change, not the time of the request: the document, and its ETag, stay the same
    # until something in it changes.
    event.add("dtstamp", modified)
    event.add("dtstart", start.astimezone(zone))
    event.add("dtend", end.astimezone(zone))
    event.add("sequence", session.version - 1)  # every move and status change bumps the version
    event.add("status", "CANCELLED" if session.status in _CANCELLED else "CONFIRMED")
    event.add("last-modified", modified)
    event.add("summary", _summary(content, session))
    event.add("location", f"{location.name}, {room.name}" if room is not None else location.name)
    return event


def render(content: FeedContent) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", content.name)
    calendar.add("x-wr-timezone", content.zone)
    for session in content.sessions:
        calendar.add_component(_event(content, session))
    # One VTIMEZONE per zone used, with its DST transitions over whole years around the window
    # (whole years, so the document does not change daily).
    calendar.add_missing_timezones(
        first_date=date(content.since.year - 1, 1, 1), last_date=date(content.until.year + 2, 1, 1)
    )
    document: bytes = calendar.to_ical()
    return document
