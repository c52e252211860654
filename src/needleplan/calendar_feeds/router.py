from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from needleplan.calendar_feeds import repository, service
from needleplan.calendar_feeds.schemas import (
    CalendarFeedCreate,
    CalendarFeedCreated,
    CalendarFeedPage,
    CalendarFeedRead,
)
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.deps import DbDep, FrontDesk
from needleplan.kit.http import created
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.problems import NotFound, ValidationFailed, problem_responses

router = v1_router(prefix="/calendar-feeds", tags=["calendar-feeds"])
TAG = "calendar-feeds"
# The feeds themselves: outside /v1 and without an API key, since calendar apps send no header;
# the token in the path is the credential (the access log writes it as <redacted>).
feeds_router = APIRouter(tags=[TAG], responses=problem_responses(ValidationFailed))


@router.post("", status_code=201, response_model=CalendarFeedCreated)
async def create_calendar_feed(
    body: CalendarFeedCreate, db: DbDep, caller: FrontDesk, request: Request, response: Response
) -> CalendarFeedCreated:
    """Create a calendar feed; its URL appears only in this answer.

    Paste `url` into a calendar app to subscribe: it shows the sessions of the provider, room,
    location or client `id` from 30 days back to a year ahead. The URL's token is the only
    credential, stored as a digest, so it cannot be shown again: create a new feed and delete
    the old one to change it. A client feed and `include_client_names: true` need the clinician
    role or higher (403 otherwise); an unknown `id` is a 422.
    """
    feed, token = service.create_feed(db, caller, body)
    created(response, f"/v1/calendar-feeds/{feed.id}")
    base = str(request.base_url).rstrip("/")
    read = CalendarFeedRead.model_validate(feed)
    return CalendarFeedCreated(**read.model_dump(), url=f"{base}/calendar/{token}.ics")


@router.get("", response_model=CalendarFeedPage)
async def list_calendar_feeds(
    db: DbDep, _: FrontDesk, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> CalendarFeedPage:
    """List calendar feeds (never their URLs), oldest first.

    One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = repository.page_of_feeds(db, limit=limit, cursor=cursor)
    return CalendarFeedPage(
        items=[CalendarFeedRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{feed_id}", response_model=CalendarFeedRead, responses=problem_responses(NotFound))
async def get_calendar_feed(feed_id: str, db: DbDep, _: FrontDesk) -> CalendarFeedRead:
    """Get a calendar feed (not its URL).

    The URL was shown once, when the feed was created. An unknown id is a 404 (`not-found`).
    """
    return CalendarFeedRead.model_validate(service.get_feed(db, feed_id))


@router.delete("/{feed_id}", status_code=204, responses=problem_responses(NotFound))
async def delete_calendar_feed(feed_id: str, db: DbDep, caller: FrontDesk) -> Response:
    """Delete a calendar feed: its URL answers 404 from now on.

    Subscribed calendar apps stop receiving updates at their next refresh. Deleting a client
    feed or one with client names needs the clinician role or higher. An unknown id is a 404.
    """
    service.delete_feed(db, caller, feed_id)
    return Response(status_code=204)


_ICS = "text/calendar; charset=utf-8"


@feeds_router.get(
    "/calendar/{token}.ics",
    response_class=Response,
    responses={
        200: {
            "description": "The feed, an RFC 5545 iCalendar document.",
            "content": {"text/calendar": {"schema": {"type": "string"}}},
            "headers": {
                "ETag": {"description": "The document's tag.", "schema": {"type": "string"}}
            },
        },
        304: {"description": "Not modified: `If-None-Match` names the current ETag."},
        **problem_responses(NotFound),
    },
)
async def get_calendar_feed_document(
    token: str,
    request: Request,
    if_none_match: Annotated[
        str | None, Header(max_length=1000, description="The ETag of the copy held.")
    ] = None,
) -> Response:
    """A calendar feed, for calendar apps to subscribe to (no API key).

    The path's token is the credential. One `VEVENT` per session from 30 days back to a year
    ahead, times in the location's zone with its `VTIMEZONE`; a moved or changed session keeps
    its `UID` and gets a higher `SEQUENCE`, a cancelled one stays as `STATUS:CANCELLED`. Send
    the `ETag` back as `If-None-Match` to get 304 when nothing changed. An unknown or deleted
    feed is a 404.
    """
    database: Database = request.app.state.database
    settings: Settings = request.app.state.settings
    with database.transaction(write=False) as db:
        document = service.document_of(
            db,
            token,
            past_days=settings.calendar_past_days,
            future_days=settings.calendar_future_days,
        )
    headers = {"ETag": document.etag, "Cache-Control": "private, max-age=300"}
    if if_none_match is not None and _matches(if_none_match, document.etag):
        return Response(status_code=304, headers=headers)
    return Response(document.body, media_type=_ICS, headers=headers)


def _matches(if_none_match: str, etag: str) -> bool:
    tags = {part.strip().removeprefix("W/") for part in if_none_match.split(",")}
    return "*" in tags or etag in tags
