from __future__ import annotations

from fastapi import Response

from needleplan.deps import Admin, AnyCaller, DbDep
from needleplan.devices import service
from needleplan.devices.schemas import DeviceCreate, DevicePage, DeviceRead, DeviceUpdate
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

router = v1_router(prefix="/devices", tags=["devices"])


@router.post(
    "", status_code=201, response_model=DeviceRead, responses=problem_responses(AlreadyExists)
)
async def create_device(
    body: DeviceCreate, db: DbDep, caller: Admin, response: Response
) -> DeviceRead:
    """Add a treatment device (a microneedling pen, an RF microneedling system ...).

    `area_minutes` gives, per treatment-area code, the minutes that replace the area's own when
    a quote, hold, booking or search names the device; areas it does not name keep their own.
    Each area code must be in the treatment-area catalogue (422 naming `area_minutes.<code>`),
    5 ≤ `min_minutes` ≤ `max_minutes` ≤ 480. Rooms list the devices they hold (`device_codes`).
    """
    device = service.create_device(db, caller, body)
    created(response, f"/v1/devices/{device.code}", device.version)
    return DeviceRead.model_validate(device)


@router.get("", response_model=DevicePage)
async def list_devices(
    db: DbDep, _: AnyCaller, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> DevicePage:
    """List the devices, by code, inactive ones too.

    Each device's per-area minutes, from which quotes and bookings naming it are computed. One
    page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_devices(db, limit=limit, cursor=cursor)
    return DevicePage(items=[DeviceRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{code}", response_model=DeviceRead, responses=problem_responses(NotFound))
async def get_device(code: str, db: DbDep, _: AnyCaller, response: Response) -> DeviceRead:
    """Get a device by its code.

    The `ETag` header is its version, to send as `If-Match` when updating it. An unknown code
    is a 404 (`not-found`).
    """
    device = service.get_device(db, code)
    tag_version(response, device.version)
    return DeviceRead.model_validate(device)


@router.patch(
    "/{code}",
    response_model=DeviceRead,
    responses=problem_responses(NotFound, PreconditionFailed, PreconditionRequired),
)
async def update_device(
    code: str,
    body: DeviceUpdate,
    db: DbDep,
    caller: Admin,
    response: Response,
    if_match: IfMatchHeader = None,
) -> DeviceRead:
    """Update a device (merge patch; needs If-Match). The code never changes.

    `area_minutes`, when sent, replaces the device's whole map. New minutes apply to quotes and
    bookings from now on; booked sessions keep their length. `active: false` takes the device
    out of service: quotes, holds, bookings and searches naming it get 422. `If-Match` is
    required: 428 (`precondition-required`) without it, 412 (`precondition-failed`) when stale.
    """
    device = service.update_device(db, caller, code, body, if_match)
    tag_version(response, device.version)
    return DeviceRead.model_validate(device)
