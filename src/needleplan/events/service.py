"""Reading the change feed: a page after a cursor, filtered for the reading key's role."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlmodel import Session

from needleplan.auth.roles import Role
from needleplan.events import catalogue, position
from needleplan.events.problems import CursorExpired
from needleplan.events.schemas import EventPage, EventRead, EventSubject
from needleplan.kit.time import utc_now
from needleplan.models import Event
from needleplan.problems import MalformedRequest, ValidationFailed, field_error

_NOT_OURS = "The cursor is not one this API produced."


def encode_cursor(after: position.Position, read_at: datetime) -> str:
    """A position and the time of the read that reached it: whatever happened after that time
    is still stored while the cursor is younger than the retention."""
    raw = json.dumps({"p": list(after), "t": int(read_at.timestamp())}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[position.Position, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        xid, at = data["p"]
        read_at = data["t"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise MalformedRequest(_NOT_OURS) from exc
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (xid, at, read_at)):
        raise MalformedRequest(_NOT_OURS)
    return (xid, at), read_at


def parse_types(types: str | None) -> tuple[list[str], list[str]]:
    """``session.booked,hold.*``: exact types and ``kind.*`` prefixes, each of the catalogue."""
    exact: list[str] = []
    prefixes: list[str] = []
    kinds = {t.split(".")[0] for t in catalogue.EVENT_TYPES}
    for name in (t.strip() for t in (types or "").split(",")):
        if not name:
            continue
        if name.endswith(".*") and name[:-2] in kinds:
            prefixes.append(name[:-1])
        elif name in catalogue.EVENT_TYPES:
            exact.append(name)
        else:
            detail = f"{name!r} is no event type (see the event catalogue)."
            raise ValidationFailed(
                detail, [field_error("query", "types", detail, "unknown_event_type")]
            )
    return exact, prefixes


def read_as(event: Event, role: Role) -> EventRead:
    """An event as the feed shows it to a key of ``role`` (webhook payloads too)."""
    return _read(event, role)


def _read(event: Event, role: Role) -> EventRead:
    data = event.data if role is not Role.integration else event.data_private
    assert data is not None  # hidden kinds never reach an integration key
    hidden = [
        f for f in catalogue.hidden_fields(event.subject_kind, role) if data.get(f) is not None
    ]
    if hidden:
        data = {**data, **dict.fromkeys(hidden)}
    return EventRead(
        id=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        subject=EventSubject(kind=event.subject_kind, id=event.subject_id),
        data=data,
    )


def feed(
    db: Session,
    role: Role,
    *,
    after: str | None,
    types: Collection[str],
    prefixes: Collection[str],
    limit: int,
    retention_days: int,
) -> EventPage:
    now = utc_now()
    start = position.START
    if after is not None:
        start, read_at = decode_cursor(after)
        if read_at < (now - timedelta(days=retention_days)).timestamp():
            raise CursorExpired(
                f"The cursor is from before the last {retention_days} days of events."
            )
    rows = position.page(
        db,
        start,
        types=types,
        prefixes=prefixes,
        hidden_kinds=catalogue.hidden_kinds(role),
        limit=limit,
    )
    last = position.of(rows[-1]) if rows else start
    return EventPage(items=[_read(r, role) for r in rows], next_cursor=encode_cursor(last, now))


def prune(db: Session, retention_days: int) -> int:
    """Delete the events older than the retention (``needleplan purge``)."""
    return position.prune(db, utc_now() - timedelta(days=retention_days))
