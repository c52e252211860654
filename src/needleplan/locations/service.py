"""Location use cases, and the one place that answers "what is this location's time zone"."""

from __future__ import annotations

from collections.abc import Collection
from zoneinfo import ZoneInfo

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.service import Caller
from needleplan.events.outbox import renders_row
from needleplan.kit.crud import apply_changes, get_or_404
from needleplan.kit.etag import require_if_match
from needleplan.locations import repository
from needleplan.locations.schemas import LocationCreate, LocationRead, LocationUpdate
from needleplan.models import Location


def create_location(db: Session, caller: Caller, body: LocationCreate) -> Location:
    location = Location(**body.model_dump())
    db.add(location)
    db.flush()
    record(db, caller, "create", "location", location.id)
    return location


def get_location(db: Session, location_id: str) -> Location:
    return get_or_404(db, Location, location_id, what="location")


def zone_of(db: Session, location_id: str) -> ZoneInfo:
    """The time zone of a location that a row refers to (its foreign key guarantees it)."""
    location = db.get(Location, location_id)
    assert location is not None, location_id
    return ZoneInfo(location.time_zone)


def zones_of(db: Session, location_ids: Collection[str]) -> dict[str, ZoneInfo]:
    """The time zone of each of the locations, in one statement whatever their number."""
    if not location_ids:
        return {}
    rows = repository.time_zone_names(db, location_ids)
    return {location_id: ZoneInfo(name) for location_id, name in rows}


def list_locations(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[Location], str | None]:
    return repository.page_of_locations(db, limit=limit, cursor=cursor)


def update_location(
    db: Session, caller: Caller, location_id: str, body: LocationUpdate, if_match: str | None
) -> Location:
    location = get_or_404(db, Location, location_id, what="location", for_update=True)
    require_if_match(if_match, location.version)
    apply_changes(location, body.model_dump(exclude_unset=True))
    db.flush()
    record(db, caller, "update", "location", location.id)
    return location


renders_row("location", Location, LocationRead)
