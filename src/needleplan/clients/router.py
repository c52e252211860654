from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from needleplan.auth.roles import Role
from needleplan.clients import service
from needleplan.clients.schemas import (
    ClientCreate,
    ClientPage,
    ClientRead,
    ClientReference,
    ClientUpdate,
)
from needleplan.deps import AnyCaller, DbDep, FrontDesk
from needleplan.kit.etag import IfMatchHeader
from needleplan.kit.http import created, tag_version
from needleplan.kit.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery
from needleplan.kit.transaction import v1_router
from needleplan.problems import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    problem_responses,
)

router = v1_router(prefix="/clients", tags=["clients"])


@router.post(
    "",
    status_code=201,
    response_model=ClientRead | ClientReference,
    responses=problem_responses(Forbidden),
)
async def create_client(
    body: ClientCreate, db: DbDep, caller: AnyCaller, response: Response
) -> ClientRead | ClientReference:
    """Create a client.

    A client needs an email address or a phone number. An `integration` key may create clients
    but reads none: its answer holds only the new client's `id`.

    `numbing_preference` (`always`, `never`, default `ask`) decides what a booking, hold, quote
    or availability search that leaves `numbing` out does; with `ask` such a request is a 422
    naming `numbing`. `comfort_notes` are for clinicians and admins only: only they may send
    them (403 for any other role) and read them; a front desk key reads `comfort_notes: null`.
    """
    client = service.create_client(db, caller, body)
    created(response, f"/v1/clients/{client.id}", client.version)
    if caller.role is Role.integration:
        return ClientReference(id=client.id)
    return service.client_read(client, caller.role)


@router.get("", response_model=ClientPage)
async def list_clients(
    db: DbDep,
    caller: FrontDesk,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Case-insensitive substring of the name, email or phone.",
        ),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> ClientPage:
    """List and search clients, oldest first.

    `q` keeps the clients whose first name, last name, full name, email or phone contains it,
    ignoring case. One page of at most `limit` rows; send the answer's `next_cursor` as `cursor` for the next.
    """
    rows, next_cursor = service.list_clients(db, q=q, limit=limit, cursor=cursor)
    return ClientPage(
        items=[service.client_read(r, caller.role) for r in rows], next_cursor=next_cursor
    )


@router.get("/{client_id}", response_model=ClientRead, responses=problem_responses(NotFound))
async def get_client(
    client_id: str, db: DbDep, caller: FrontDesk, response: Response
) -> ClientRead:
    """Get a client.

    The `ETag` header is the client's version, to send as `If-Match` when updating it.
    Screenings, eligibility and plans have their own paths. An unknown id is a 404
    (`not-found`). `comfort_notes` reads null for a front desk key (clinicians and admins only).
    """
    client = service.get_client(db, client_id)
    tag_version(response, client.version)
    return service.client_read(client, caller.role)


@router.patch(
    "/{client_id}",
    response_model=ClientRead,
    responses=problem_responses(Forbidden, NotFound, PreconditionFailed, PreconditionRequired),
)
async def update_client(
    client_id: str,
    body: ClientUpdate,
    db: DbDep,
    caller: FrontDesk,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ClientRead:
    """Update a client (merge patch; needs If-Match).

    Send `null` to clear the email, phone, notes or comfort notes; a client keeps at least one
    contact.

    `numbing_preference` (`always`, `never`, default `ask`) decides what a booking, hold, quote
    or availability search that leaves `numbing` out does; with `ask` such a request is a 422
    naming `numbing`. `comfort_notes` are for clinicians and admins only: only they may send
    them (403 for any other role) and read them; a front desk key reads `comfort_notes: null`.
    """
    client = service.update_client(db, caller, client_id, body, if_match)
    tag_version(response, client.version)
    return service.client_read(client, caller.role)
