"""The statements that read rooms."""

from __future__ import annotations

from sqlmodel import Session, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import Room


def room_named(db: Session, location_id: str, name: str) -> str | None:
    """The id of the location's room called ``name``, if any."""
    statement = select(Room.id).where(Room.location_id == location_id, Room.name == name)
    return db.exec(statement).first()


def page_of_rooms(
    db: Session, *, location_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Room], str | None]:
    statement = select(Room)
    if location_id is not None:
        statement = statement.where(Room.location_id == location_id)
    return keyset_page(db, statement, Room.id, limit=limit, cursor=cursor)
