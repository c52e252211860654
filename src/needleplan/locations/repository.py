"""The statements that read locations."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlmodel import Session, col, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import Location


def time_zone_names(db: Session, location_ids: Collection[str]) -> Sequence[tuple[str, str]]:
    """(id, time zone name) of each of the locations, in one statement."""
    return db.exec(
        select(col(Location.id), col(Location.time_zone)).where(
            col(Location.id).in_(set(location_ids))
        )
    ).all()


def page_of_locations(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[Location], str | None]:
    return keyset_page(db, select(Location), Location.id, limit=limit, cursor=cursor)


def location_named(db: Session, name: str) -> Location | None:
    return db.exec(select(Location).where(Location.name == name)).first()


def any_two(db: Session) -> Sequence[Location]:
    """Two locations at most: enough to tell whether there is exactly one."""
    return db.exec(select(Location).limit(2)).all()
