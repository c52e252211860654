from __future__ import annotations

from typing import Annotated

from fastapi import Query

from needleplan.deps import AnyCaller, DbDep, SettingsDep
from needleplan.events import service
from needleplan.events.problems import CursorExpired
from needleplan.events.schemas import EventPage
from needleplan.kit.pagination import DEFAULT_LIMIT, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.problems import problem_responses

router = v1_router(prefix="/events", tags=["events"])


@router.get("", response_model=EventPage, responses=problem_responses(CursorExpired))
async def list_events(
    db: DbDep,
    caller: AnyCaller,
    settings: SettingsDep,
    after: Annotated[
        str | None,
        Query(
            max_length=200,
            description="`next_cursor` of the previous page; omit to read from the oldest "
            "event kept.",
        ),
    ] = None,
    types: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="Comma-separated event types (`session.booked`) or kinds "
            "(`session.*`); omit for every type.",
            examples=["session.*,hold.created"],
        ),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> EventPage:
    """Read the change feed: every change, oldest first, after a cursor.

    Each mutation writes its event in its own transaction, so the feed holds exactly the
    changes that happened. `data` is the resource as its `GET` returned it just after the change,
    for the reading key's role: an `integration` key sees no names, contacts, notes, cautions or
    screening answers, and gets no `screening.*`, `eligibility_override.*`,
    `condition_retraction.*`, `api_key.*` or `webhook*` events (front desk and clinicians get
    no `api_key.*`, `webhook_endpoint.*` or `webhook_delivery.*`; front desk reads clients'
    `comfort_notes` as null). `next_cursor` is always present: repeat it as `after` to tail the feed; no
    event ever appears behind it. A cursor older than the retention
    (`NEEDLEPLAN_EVENT_RETENTION_DAYS`) is a 410 (`cursor-expired`); an unknown type a 422.
    """
    exact, prefixes = service.parse_types(types)
    return service.feed(
        db,
        caller.role,
        after=after,
        types=exact,
        prefixes=prefixes,
        limit=limit,
        retention_days=settings.event_retention_days,
    )
