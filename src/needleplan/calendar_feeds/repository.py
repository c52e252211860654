"""The statements of calendar feeds: the feeds by token digest, and the sessions a feed shows,
each read bounded by an index range (a subject's sessions by ``(subject, starts_at)``, a
location's by ``starts_at``), never a scan of the calendar's history."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import CalendarFeed, Client, Location, Room, TreatmentArea, TreatmentSession


def feed_by_digest(db: Session, digest: str) -> CalendarFeed | None:
    return db.exec(select(CalendarFeed).where(CalendarFeed.token_digest == digest)).first()


def page_of_feeds(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[CalendarFeed], str | None]:
    return keyset_page(db, select(CalendarFeed), CalendarFeed.id, limit=limit, cursor=cursor)


_SUBJECT_COLUMNS = {
    "provider": TreatmentSession.provider_id,
    "room": TreatmentSession.room_id,
    "client": TreatmentSession.client_id,
    "location": TreatmentSession.location_id,
}


def sessions_of(
    db: Session, scope: str, subject_id: str, since: datetime, until: datetime
) -> Sequence[TreatmentSession]:
    """The sessions of a feed's subject starting in ``[since, until)``, by start."""
    starts_at = col(TreatmentSession.starts_at)
    statement = (
        select(TreatmentSession)
        .where(col(_SUBJECT_COLUMNS[scope]) == subject_id, starts_at >= since, starts_at < until)
        .order_by(starts_at, col(TreatmentSession.id))
    )
    return db.exec(statement).all()


def rooms_by_id(db: Session, ids: Collection[str]) -> dict[str, Room]:
    if not ids:
        return {}
    return {r.id: r for r in db.exec(select(Room).where(col(Room.id).in_(sorted(ids)))).all()}


def locations_by_id(db: Session, ids: Collection[str]) -> dict[str, Location]:
    if not ids:
        return {}
    rows = db.exec(select(Location).where(col(Location.id).in_(sorted(ids)))).all()
    return {row.id: row for row in rows}


def clients_by_id(db: Session, ids: Collection[str]) -> dict[str, Client]:
    if not ids:
        return {}
    return {c.id: c for c in db.exec(select(Client).where(col(Client.id).in_(sorted(ids)))).all()}


def area_names(db: Session, codes: Collection[str]) -> dict[str, str]:
    if not codes:
        return {}
    statement = select(TreatmentArea.code, TreatmentArea.name).where(
        col(TreatmentArea.code).in_(sorted(codes))
    )
    return {code: name for code, name in db.exec(statement).all()}
