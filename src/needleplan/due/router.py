from __future__ import annotations

from typing import Annotated

from fastapi import Query

from needleplan.deps import DbDep, FrontDesk, SettingsDep
from needleplan.due import service
from needleplan.due.schemas import DuePage
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router

router = v1_router(prefix="/due", tags=["due"])


@router.get("", response_model=DuePage)
async def list_due(
    db: DbDep,
    settings: SettingsDep,
    _: FrontDesk,
    within_days: Annotated[
        int, Query(ge=0, le=365, description="The horizon, in days from today.")
    ] = 14,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> DuePage:
    """Who to call: plans whose next session is due, needs rescheduling, or maintenance is due.

    A plan is due when its next unbooked session's window opens within the horizon (a plan with
    no session at once), when booked sessions fell out of their window, or six calendar months
    after it completed. Ordered by due date.
    """
    items, next_cursor = service.due_list(
        db, settings, within_days=within_days, limit=limit, cursor=cursor
    )
    return DuePage(items=items, next_cursor=next_cursor)
