from __future__ import annotations

from fastapi import Response

from needleplan.course_templates import service
from needleplan.course_templates.schemas import (
    CourseTemplateCreate,
    CourseTemplatePage,
    CourseTemplateRead,
    CourseTemplateUpdate,
)
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

router = v1_router(prefix="/course-templates", tags=["course-templates"])


@router.post(
    "",
    status_code=201,
    response_model=CourseTemplateRead,
    responses=problem_responses(AlreadyExists),
)
async def create_course_template(
    body: CourseTemplateCreate, db: DbDep, caller: Admin, response: Response
) -> CourseTemplateRead:
    """Add a course template (admin).

    A template is what a treatment plan made from it starts with (`template` on
    `POST /v1/treatment-plans`): `areas` (codes of the treatment-area catalogue), `intensity`,
    an optional `device` (a code of `/v1/devices`), `sessions_planned` (1–12),
    `interval_min_days`/`interval_max_days` (1–365, min ≤ max) and `numbing`. Unknown area or
    device codes are a 422 naming them; an existing code is a 409 (`already-exists`).
    """
    template = service.create_template(db, caller, body)
    created(response, f"/v1/course-templates/{template.code}", template.version)
    return CourseTemplateRead.model_validate(template)


@router.get("", response_model=CourseTemplatePage)
async def list_course_templates(
    db: DbDep, _: AnyCaller, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> CourseTemplatePage:
    """List the course templates, by code (any role, integrations included).

    Inactive templates are listed too (`active: false`); plans cannot be made from them. One
    page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_templates(db, limit=limit, cursor=cursor)
    return CourseTemplatePage(
        items=[CourseTemplateRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{code}", response_model=CourseTemplateRead, responses=problem_responses(NotFound))
async def get_course_template(
    code: str, db: DbDep, _: AnyCaller, response: Response
) -> CourseTemplateRead:
    """Get a course template by its code (any role).

    The `ETag` header is its version, to send as `If-Match` when updating it. An unknown code
    is a 404 (`not-found`).
    """
    template = service.get_template(db, code)
    tag_version(response, template.version)
    return CourseTemplateRead.model_validate(template)


@router.patch(
    "/{code}",
    response_model=CourseTemplateRead,
    responses=problem_responses(NotFound, PreconditionFailed, PreconditionRequired),
)
async def update_course_template(
    code: str,
    body: CourseTemplateUpdate,
    db: DbDep,
    caller: Admin,
    response: Response,
    if_match: IfMatchHeader = None,
) -> CourseTemplateRead:
    """Update a course template (admin; merge patch; needs If-Match). The code never changes.

    Changes apply to plans made from now on; a plan copies its template's figures when it is
    created and keeps them. `device: null` removes the device; `active: false` retires the
    template (new plans naming it get a 422). `interval_min_days` may not exceed
    `interval_max_days` (422). `If-Match` is required: 428 (`precondition-required`) without it,
    412 (`precondition-failed`) when stale.
    """
    template = service.update_template(db, caller, code, body, if_match)
    tag_version(response, template.version)
    return CourseTemplateRead.model_validate(template)
