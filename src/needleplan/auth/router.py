from __future__ import annotations

from fastapi import Response

from needleplan.auth import repository, service
from needleplan.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPage, ApiKeyRead
from needleplan.deps import Admin, DbDep
from needleplan.kit.http import created
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.problems import NotFound, problem_responses

router = v1_router(prefix="/api-keys", tags=["api-keys"])


@router.post("", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(
    body: ApiKeyCreate, db: DbDep, caller: Admin, response: Response
) -> ApiKeyCreated:
    """Create an API key; the key itself appears only in this answer.

    Only a SHA-256 digest of the key is stored.
    """
    row, new_key = service.create_api_key(db, name=body.name, role=body.role, caller=caller)
    created(response, f"/v1/api-keys/{row.id}")
    return ApiKeyCreated(**ApiKeyRead.model_validate(row).model_dump(), key=new_key.secret)


@router.get("", response_model=ApiKeyPage)
async def list_api_keys(
    db: DbDep, _: Admin, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> ApiKeyPage:
    """List API keys (never the keys themselves), oldest first.

    Each key's name, role, prefix, creation and revocation times and when it was last used;
    the key itself is shown once, when created. One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = repository.page_of_keys(db, limit=limit, cursor=cursor)
    return ApiKeyPage(items=[ApiKeyRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.delete("/{key_id}", status_code=204, responses=problem_responses(NotFound))
async def revoke_api_key(key_id: str, db: DbDep, caller: Admin) -> Response:
    """Revoke an API key: it stops working at once, in every process.

    Revoked keys stay listed with `revoked_at`; revoking one again changes nothing. An unknown
    id is a 404 (`not-found`).
    """
    service.revoke_api_key(db, key_id, caller=caller)
    return Response(status_code=204)
