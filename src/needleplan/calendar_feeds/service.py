from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.keys import digest_of
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.calendar_feeds import repository
from needleplan.calendar_feeds.ics import FeedContent, render
from needleplan.calendar_feeds.schemas import CalendarFeedCreate, CalendarFeedRead
from needleplan.events.outbox import renders_row
from needleplan.kit.crud import get_or_404, require_reference
from needleplan.kit.time import utc_now
from needleplan.models import CalendarFeed, Client, Location, Provider, Room
from needleplan.problems import Forbidden, NotFound

_SUBJECTS: dict[str, type[Client | Location | Provider | Room]] = {
    "provider": Provider,
    "room": Room,
    "location": Location,
    "client": Client,
}


def _needs_clinician(scope: str, include_client_names: bool) -> bool:
    return scope == "client" or include_client_names


def _require_role_for(caller: Caller, scope: str, include_client_names: bool) -> None:
    if _needs_clinician(scope, include_client_names) and not caller.role.may_act_as(Role.clinician):
        raise Forbidden(
            "A client feed, or a feed with client names, needs the clinician role or higher; "
            f"this API key's role is {caller.role.value}."
        )


def create_feed(db: Session, caller: Caller, body: CalendarFeedCreate) -> tuple[CalendarFeed, str]:
    """The new feed and its token (shown once; only its digest is stored)."""
    _require_role_for(caller, body.scope, body.include_client_names)
    require_reference(db, _SUBJECTS[body.scope], body.id, field="id", what=body.scope)
    token = secrets.token_urlsafe(24)  # 192 bits
    feed = CalendarFeed(
        scope=body.scope,
        subject_id=body.id,
        include_client_names=body.include_client_names,
        token_digest=digest_of(token),
        created_by_key_id=caller.key_id,
    )
    db.add(feed)
    db.flush()
    record(db, caller, "create", "calendar_feed", feed.id)
    return feed, token


def get_feed(db: Session, feed_id: str) -> CalendarFeed:
    return get_or_404(db, CalendarFeed, feed_id, what="calendar feed")


def delete_feed(db: Session, caller: Caller, feed_id: str) -> None:
    feed = get_or_404(db, CalendarFeed, feed_id, what="calendar feed", for_update=True)
    _require_role_for(caller, feed.scope, feed.include_client_names)
    db.delete(feed)
    db.flush()
    record(db, caller, "delete", "calendar_feed", feed_id)


@dataclass(frozen=True)
class Document:
    body: bytes
    etag: str


def document_of(db: Session, token: str, *, past_days: int, future_days: int) -> Document:
    """The feed of ``token``; an unknown or revoked token is a 404, as any unknown path."""
    feed = repository.feed_by_digest(db, digest_of(token))
    if feed is None:
        raise NotFound("No calendar feed has this address; it may have been revoked.")
    now = utc_now()
    since, until = now - timedelta(days=past_days), now + timedelta(days=future_days)
    sessions = repository.sessions_of(db, feed.scope, feed.subject_id, since, until)
    locations = repository.locations_by_id(
        db,
        {s.location_id for s in sessions}
        | ({feed.subject_id} if feed.scope == "location" else set()),
    )
    rooms = repository.rooms_by_id(
        db, {s.room_id for s in sessions} | ({feed.subject_id} if feed.scope == "room" else set())
    )
    if feed.scope == "room" and feed.subject_id in rooms:
        locations |= repository.locations_by_id(db, {rooms[feed.subject_id].location_id})
    names = repository.area_names(db, {code for s in sessions for code in s.areas})
    clients = (
        repository.clients_by_id(db, {s.client_id for s in sessions})
        if feed.include_client_names
        else {}
    )
    name, zone = _title(db, feed, rooms, locations)
    content = FeedContent(
        scope=feed.scope,
        name=name,
        zone=zone,
        sessions=sessions,
        rooms=rooms,
        locations=locations,
        area_names=names,
        clients=clients,
        since=since,
        until=until,
    )
    body = render(content)
    return Document(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _title(
    db: Session,
    feed: CalendarFeed,
    rooms: dict[str, Room],
    locations: dict[str, Location],
) -> tuple[str, str]:
    """The calendar's name and zone: the subject's location's zone, else the first session's."""
    zone = next(iter(sorted(loc.time_zone for loc in locations.values())), "UTC")
    if feed.scope == "location" and feed.subject_id in locations:
        location = locations[feed.subject_id]
        return f"needleplan: {location.name}", location.time_zone
    if feed.scope == "room" and feed.subject_id in rooms:
        room = rooms[feed.subject_id]
        home = locations.get(room.location_id)
        return f"needleplan: {room.name}", home.time_zone if home else zone
    if feed.scope == "provider":
        provider = db.get(Provider, feed.subject_id)
        return f"needleplan: {provider.name if provider else 'provider'}", zone
    if feed.include_client_names:
        client = db.get(Client, feed.subject_id)
        if client is not None:
            return f"needleplan: {client.first_name} {client.last_name}", zone
    return "needleplan: treatment sessions", zone


renders_row("calendar_feed", CalendarFeed, CalendarFeedRead)
