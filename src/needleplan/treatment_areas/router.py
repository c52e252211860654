from __future__ import annotations

from fastapi import Response

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
from needleplan.treatment_areas import service
from needleplan.treatment_areas.schemas import (
    TreatmentAreaCreate,
    TreatmentAreaPage,
    TreatmentAreaRead,
    TreatmentAreaUpdate,
)

router = v1_router(prefix="/treatment-areas", tags=["treatment-areas"])


@router.post(
    "",
    status_code=201,
    response_model=TreatmentAreaRead,
    responses=problem_responses(AlreadyExists),
)
async def create_treatment_area(
    body: TreatmentAreaCreate, db: DbDep, caller: Admin, response: Response
) -> TreatmentAreaRead:
    """Add a treatment area to the catalogue.

    `min_minutes` and `max_minutes` bound the treatment time: light intensity takes the minimum,
    standard the midpoint, intensive the maximum.
    """
    area = service.create_area(db, caller, body)
    created(response, f"/v1/treatment-areas/{area.code}", area.version)
    return TreatmentAreaRead.model_validate(area)


@router.get("", response_model=TreatmentAreaPage)
async def list_treatment_areas(
    db: DbDep, _: AnyCaller, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> TreatmentAreaPage:
    """List the treatment-area catalogue, by code.

    Each area's category and its minimum and maximum treatment minutes, from which duration
    quotes and bookings are computed. One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_areas(db, limit=limit, cursor=cursor)
    return TreatmentAreaPage(
        items=[TreatmentAreaRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{code}", response_model=TreatmentAreaRead, responses=problem_responses(NotFound))
async def get_treatment_area(
    code: str, db: DbDep, _: AnyCaller, response: Response
) -> TreatmentAreaRead:
    """Get a treatment area by its code.

    The `ETag` header is its version, to send as `If-Match` when updating it. An unknown code
    is a 404 (`not-found`).
    """
    area = service.get_area(db, code)
    tag_version(response, area.version)
    return TreatmentAreaRead.model_validate(area)


@router.patch(
    "/{code}",
    response_model=TreatmentAreaRead,
    responses=problem_responses(NotFound, PreconditionFailed, PreconditionRequired),
)
async def update_treatment_area(
    code: str,
    body: TreatmentAreaUpdate,
    db: DbDep,
    caller: Admin,
    response: Response,
    if_match: IfMatchHeader = None,
) -> TreatmentAreaRead:
    """Update a treatment area (merge patch; needs If-Match). The code never changes.

    New minutes apply to quotes and bookings from now on; booked sessions keep their length.
    `min_minutes` may not exceed `max_minutes` (422). `If-Match` is required: 428 (`precondition-required`) without it, 412
    (`precondition-failed`) when stale.
    """
    area = service.update_area(db, caller, code, body, if_match)
    tag_version(response, area.version)
    return TreatmentAreaRead.model_validate(area)
