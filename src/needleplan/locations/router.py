from __future__ import annotations

from fastapi import Response

from needleplan.deps import Admin, AnyCaller, DbDep
from needleplan.kit.etag import IfMatchHeader
from needleplan.kit.http import created, tag_version
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.locations import service
from needleplan.locations.schemas import LocationCreate, LocationPage, LocationRead, LocationUpdate
from needleplan.problems import (
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)

router = v1_router(prefix="/locations", tags=["locations"])


@router.post("", status_code=201, response_model=LocationRead)
async def create_location(
    body: LocationCreate, db: DbDep, caller: Admin, response: Response
) -> LocationRead:
    """Create a location.

    A location's IANA time zone drives all its local-calendar arithmetic.
    """
    location = service.create_location(db, caller, body)
    created(response, f"/v1/locations/{location.id}", location.version)
    return LocationRead.model_validate(location)


@router.get("", response_model=LocationPage)
async def list_locations(
    db: DbDep, _: AnyCaller, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> LocationPage:
    """List locations, oldest first.

    One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_locations(db, limit=limit, cursor=cursor)
    return LocationPage(
        items=[LocationRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{location_id}", response_model=LocationRead, responses=problem_responses(NotFound))
async def get_location(
    location_id: str, db: DbDep, _: AnyCaller, response: Response
) -> LocationRead:
    """Get a location.

    The `ETag` header is the location's version, to send as `If-Match` when updating it. An
    unknown id is a 404 (`not-found`).
    """
    location = service.get_location(db, location_id)
    tag_version(response, location.version)
    return LocationRead.model_validate(location)


@router.patch(
    "/{location_id}",
    response_model=LocationRead,
    responses=problem_responses(NotFound, PreconditionFailed, PreconditionRequired),
)
async def update_location(
    location_id: str,
    body: LocationUpdate,
    db: DbDep,
    caller: Admin,
    response: Response,
    if_match: IfMatchHeader = None,
) -> LocationRead:
    """Update a location (merge patch; needs If-Match).

    Send only the fields to change: `name`, `time_zone`. `If-Match` is required: 428 (`precondition-required`) without it, 412
    (`precondition-failed`) when stale.
    """
    location = service.update_location(db, caller, location_id, body, if_match)
    tag_version(response, location.version)
    return LocationRead.model_validate(location)
