from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from needleplan.deps import Admin, AnyCaller, DbDep
from needleplan.kit.etag import IfMatchHeader
from needleplan.kit.http import created, tag_version
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.problems import (
    AlreadyExists,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)
from needleplan.rooms import service
from needleplan.rooms.schemas import RoomCreate, RoomPage, RoomRead, RoomUpdate

router = v1_router(prefix="/rooms", tags=["rooms"])


@router.post(
    "", status_code=201, response_model=RoomRead, responses=problem_responses(AlreadyExists)
)
async def create_room(body: RoomCreate, db: DbDep, caller: Admin, response: Response) -> RoomRead:
    """Create a room at a location.

    A room holds one client at a time; its name is unique within the location. `device_codes`
    lists the devices it holds (default none): a booking or search naming a device uses only
    rooms that hold it. An unknown or repeated code is a 422 naming `device_codes`.
    """
    room = service.create_room(db, caller, body)
    created(response, f"/v1/rooms/{room.id}", room.version)
    return RoomRead.model_validate(room)


@router.get("", response_model=RoomPage)
async def list_rooms(
    db: DbDep,
    _: AnyCaller,
    location_id: Annotated[
        str | None, Query(max_length=36, description="Only rooms of this location.")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> RoomPage:
    """List rooms, oldest first.

    Inactive rooms are listed too; `location_id` keeps one location's rooms. One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_rooms(db, location_id=location_id, limit=limit, cursor=cursor)
    return RoomPage(items=[RoomRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{room_id}", response_model=RoomRead, responses=problem_responses(NotFound))
async def get_room(room_id: str, db: DbDep, _: AnyCaller, response: Response) -> RoomRead:
    """Get a room.

    The `ETag` header is the room's version, to send as `If-Match` when updating it. An unknown
    id is a 404 (`not-found`).
    """
    room = service.get_room(db, room_id)
    tag_version(response, room.version)
    return RoomRead.model_validate(room)


@router.patch(
    "/{room_id}",
    response_model=RoomRead,
    responses=problem_responses(NotFound, PreconditionFailed, PreconditionRequired, AlreadyExists),
)
async def update_room(
    room_id: str,
    body: RoomUpdate,
    db: DbDep,
    caller: Admin,
    response: Response,
    if_match: IfMatchHeader = None,
) -> RoomRead:
    """Update a room (merge patch; needs If-Match).

    Rename a room, or take it out of service with `active: false`: an inactive room takes no new
    booking or hold. `device_codes` replaces the devices the room holds (an unknown or repeated
    code is a 422 naming `device_codes`); sessions already booked stay where they are. A name
    already used at the location is a 409 (`already-exists`).
    `If-Match` is required: 428 (`precondition-required`) without it, 412
    (`precondition-failed`) when stale.
    """
    room = service.update_room(db, caller, room_id, body, if_match)
    tag_version(response, room.version)
    return RoomRead.model_validate(room)
