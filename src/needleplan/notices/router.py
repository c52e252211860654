from __future__ import annotations

from fastapi import Response

from needleplan.deps import Admin, AnyCaller, DbDep
from needleplan.kit.etag import IfMatchHeader
from needleplan.kit.http import created, tag_version
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.notices import service
from needleplan.notices.schemas import (
    CareNoticeCreate,
    CareNoticePage,
    CareNoticeRead,
    CareNoticeUpdate,
    SessionNoticePage,
)
from needleplan.problems import (
    AlreadyExists,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)

router = v1_router(tags=["care-notices"])


@router.post(
    "/care-notices",
    status_code=201,
    response_model=CareNoticeRead,
    responses=problem_responses(AlreadyExists),
)
async def create_care_notice(
    body: CareNoticeCreate, db: DbDep, caller: Admin, response: Response
) -> CareNoticeRead:
    """Add a reminder or care notice: due `offset_minutes` after the session's `anchor` (`start`
    or `end`; negative: before), for the sessions its optional filters match.

    `areas` (treatment-area codes) and `device` (a device code) narrow it to sessions treating
    one of those areas or booked with that device; an unknown code is a 422. Sessions booked or
    moved from now on get it; a due time already past at booking gets none.
    """
    row = service.create_template(db, caller, body)
    created(response, f"/v1/care-notices/{row.code}", row.version)
    return service.notice_read(row)


@router.get("/care-notices", response_model=CareNoticePage)
async def list_care_notices(
    db: DbDep, _: AnyCaller, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> CareNoticePage:
    """List the reminders and care notices, by code, switched-off ones included.

    `migrate` installs the defaults (docs/domain.md#care-notices) when there are none. One page
    of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_templates(db, limit=limit, cursor=cursor)
    return CareNoticePage(items=[service.notice_read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/care-notices/{code}", response_model=CareNoticeRead, responses=problem_responses(NotFound)
)
async def get_care_notice(code: str, db: DbDep, _: AnyCaller, response: Response) -> CareNoticeRead:
    """Get a reminder or care notice by its code.

    The `ETag` header is its version, to send as `If-Match` when updating it. An unknown code
    is a 404 (`not-found`).
    """
    row = service.get_template(db, code)
    tag_version(response, row.version)
    return service.notice_read(row)


@router.patch(
    "/care-notices/{code}",
    response_model=CareNoticeRead,
    responses=problem_responses(NotFound, PreconditionFailed, PreconditionRequired),
)
async def update_care_notice(
    code: str,
    body: CareNoticeUpdate,
    db: DbDep,
    caller: Admin,
    response: Response,
    if_match: IfMatchHeader = None,
) -> CareNoticeRead:
    """Update a reminder or care notice (merge patch; needs If-Match). The code never changes.

    New times and filters apply to sessions booked or moved from now on; notices already
    scheduled keep their due time and are emitted with the new `text`. `active: false` stops
    its scheduled notices from being emitted. `areas` or `device` null removes that filter.
    `If-Match` is required: 428 (`precondition-required`) without it, 412
    (`precondition-failed`) when stale.
    """
    row = service.update_template(db, caller, code, body, if_match)
    tag_version(response, row.version)
    return service.notice_read(row)


@router.get(
    "/sessions/{session_id}/notices",
    response_model=SessionNoticePage,
    responses=problem_responses(NotFound),
)
async def list_session_notices(
    session_id: str,
    db: DbDep,
    _: AnyCaller,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> SessionNoticePage:
    """A session's reminders and care notices, by due time: `scheduled`, `emitted` (the
    `session.notice_due` event was sent) or `cancelled`.

    Created when the session is booked (none whose due time had already passed), moved with it,
    cancelled when it is cancelled, marked no-show or entered in error; once the client has
    arrived, the reminders and pre-care still pending are cancelled and the aftercare stays.
    `due_at` is in the offset of the session's location. An unknown session is a 404
    (`not-found`). One page of at most `limit` rows; send the answer's `next_cursor` as
    `cursor` for the next.
    """
    items, next_cursor = service.session_notices(db, session_id, limit=limit, cursor=cursor)
    return SessionNoticePage(items=items, next_cursor=next_cursor)
