from __future__ import annotations

from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.service import Caller
from needleplan.events.outbox import renders_row
from needleplan.kit.codes import refuse_bad_codes
from needleplan.kit.crud import apply_changes, get_or_404, require_reference
from needleplan.kit.etag import require_if_match
from needleplan.models import Device, Location, Room
from needleplan.problems import AlreadyExists
from needleplan.rooms import repository
from needleplan.rooms.schemas import RoomCreate, RoomRead, RoomUpdate


def _refuse_duplicate_name(db: Session, location_id: str, name: str, room_id: str | None) -> None:
    existing = repository.room_named(db, location_id, name)
    if existing is not None and existing != room_id:
        raise AlreadyExists(f"The location already has a room named {name!r}.")


def _check_device_codes(db: Session, codes: list[str]) -> None:
    """Each code once, each a device's (422 naming ``device_codes``). Devices are few and never
    deleted: a look-up per code."""
    refuse_bad_codes(
        codes,
        {code for code in codes if db.get(Device, code) is not None},
        field="device_codes",
        what="a device code",
        summary="Invalid device codes",
        unknown="unknown_device",
        duplicates=True,
        single=True,
    )


def create_room(db: Session, caller: Caller, body: RoomCreate) -> Room:
    require_reference(db, Location, body.location_id, field="location_id", what="location")
    _check_device_codes(db, body.device_codes)
    _refuse_duplicate_name(db, body.location_id, body.name, None)
    room = Room(**body.model_dump())
    db.add(room)
    db.flush()
    record(db, caller, "create", "room", room.id)
    return room


def get_room(db: Session, room_id: str) -> Room:
    return get_or_404(db, Room, room_id, what="room")


def list_rooms(
    db: Session, *, location_id: str | None, limit: int, cursor: str | None
) -> tuple[list[Room], str | None]:
    return repository.page_of_rooms(db, location_id=location_id, limit=limit, cursor=cursor)


def update_room(
    db: Session, caller: Caller, room_id: str, body: RoomUpdate, if_match: str | None
) -> Room:
    room = get_or_404(db, Room, room_id, what="room", for_update=True)
    require_if_match(if_match, room.version)
    changes = body.model_dump(exclude_unset=True)
    if "device_codes" in changes:
        _check_device_codes(db, changes["device_codes"])
    if "name" in changes:
        _refuse_duplicate_name(db, room.location_id, changes["name"], room.id)
    apply_changes(room, changes)
    db.flush()
    record(db, caller, "update", "room", room.id)
    return room


renders_row("room", Room, RoomRead)
