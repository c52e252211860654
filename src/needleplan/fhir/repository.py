"""The facade's reads: filtered pages of sessions and providers, rooms and areas by id, and
the area a Slot search without ``service-type`` is made for."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session, col, or_, select

from needleplan.kit.pagination import keyset_page
from needleplan.kit.statuses import SessionStatus
from needleplan.models import Location, Provider, Room, TreatmentArea, TreatmentSession


def page_of_appointments(
    db: Session,
    *,
    starts_from: datetime | None,
    until: datetime | None,
    provider_id: str | None,
    location_id: str | None,
    client_id: str | None,
    status: SessionStatus | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[TreatmentSession], str | None]:
    """Sessions starting in [starts_from, until), by start; ``location_id`` is a clinic or a
    room."""
    statement = select(TreatmentSession)
    if starts_from is not None:
        statement = statement.where(col(TreatmentSession.starts_at) >= starts_from)
    if until is not None:
        statement = statement.where(col(TreatmentSession.starts_at) < until)
    if location_id is not None:
        statement = statement.where(
            or_(
                col(TreatmentSession.location_id) == location_id,
                col(TreatmentSession.room_id) == location_id,
            )
        )
    for column, value in (
        (TreatmentSession.provider_id, provider_id),
        (TreatmentSession.client_id, client_id),
        (TreatmentSession.status, status),
    ):
        if value is not None:
            statement = statement.where(col(column) == value)
    return keyset_page(
        db, statement, TreatmentSession.starts_at, TreatmentSession.id, limit=limit, cursor=cursor
    )


def page_of_providers(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[Provider], str | None]:
    return keyset_page(db, select(Provider), Provider.id, limit=limit, cursor=cursor)


def all_locations(db: Session) -> list[Location]:
    return list(db.exec(select(Location).order_by(col(Location.id))).all())


def all_rooms(db: Session) -> list[Room]:
    return list(db.exec(select(Room).order_by(col(Room.id))).all())


def rooms_by_id(db: Session, room_ids: Collection[str]) -> dict[str, Room]:
    if not room_ids:
        return {}
    rows = db.exec(select(Room).where(col(Room.id).in_(sorted(room_ids)))).all()
    return {room.id: room for room in rows}


def area_names(db: Session, codes: Collection[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = db.exec(select(TreatmentArea).where(col(TreatmentArea.code).in_(sorted(codes)))).all()
    return {area.code: area.name for area in rows}


def shortest_area(db: Session) -> TreatmentArea | None:
    """The catalogue's shortest area at standard intensity (the midpoint of its minutes, so
    by their sum), the first code on a tie; None when the catalogue is empty."""
    # Chosen here rather than by ORDER BY: the catalogue is a few dozen rows, and PostgreSQL's
    # collation would order codes such as lip_x and lips differently from SQLite's.
    areas = db.exec(select(TreatmentArea)).all()
    return min(areas, key=lambda a: (a.min_minutes + a.max_minutes, a.code), default=None)
