"""One request, one transaction, committed before the response is sent.

``TransactionalRoute`` wraps every API route: it opens the request's transaction, runs the
endpoint (which reads the session through ``DbDep``), and commits once the response is built and
before it is sent; any exception rolls it back. Idempotent POSTs store their answer inside the
same transaction.

Domain routers are made by ``v1_router``, so no route can be left out of the transaction, and
``require_transactional`` (called by ``create_app``) refuses to start an app with a ``/v1`` route
that is not a ``TransactionalRoute``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import fastapi.routing
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Scope

from needleplan.db import Database
from needleplan.kit import idempotency
from needleplan.kit.http import refuse_non_json_body
from needleplan.problems import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    Problem,
    render_client_error,
)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])

_READS_ONLY: set[Callable[..., Any]] = set()  # the endpoints marked by ``reads_only``
_REQUEST_SESSION = "needleplan.request_session"


def hand_over(scope: Scope, db: Session) -> None:
    """Authentication began the request's transaction in ``db``: the route continues it."""
    scope.setdefault("state", {})[_REQUEST_SESSION] = db


def take_over(scope: Scope) -> Session | None:
    """The session handed over for this request, once: its taker ends and closes it."""
    db: Session | None = scope.get("state", {}).pop(_REQUEST_SESSION, None)
    return db


def reads_only(endpoint: EndpointT) -> EndpointT:
    """Mark a POST endpoint that changes nothing (a computation such as a duration quote): it
    runs in a read transaction, so on SQLite it neither takes the write lock nor waits for it."""
    _READS_ONLY.add(endpoint)
    return endpoint


def v1_router(**options: Any) -> APIRouter:
    """A domain router of the v1 API: every route it makes runs in the request's transaction."""
    if not issubclass(options.setdefault("route_class", TransactionalRoute), TransactionalRoute):
        raise ValueError("a v1 router's routes are TransactionalRoutes")
    return APIRouter(**options)


def require_transactional(app: FastAPI, prefix: str = "/v1") -> None:
    """Refuse an app with a route under ``prefix`` that would run outside a request transaction
    (a router made with ``APIRouter`` instead of ``v1_router``, a mount, a bare route)."""
    outside = [
        path
        for path, route in served_routes(app)
        if (path + "/").startswith(prefix + "/") and not isinstance(route, TransactionalRoute)
    ]
    if outside:
        raise RuntimeError(f"routes outside the request transaction: {', '.join(outside)}")


def served_routes(app: FastAPI) -> Iterator[tuple[str, BaseRoute]]:
    """Each route's full path and the route whose handler serves it. FastAPI 0.13x+ keeps
    included routers nested (the included route itself handles requests); older versions copy
    every route, with its class, into the app."""
    iter_route_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_route_contexts is None:
        yield from ((getattr(route, "path", ""), route) for route in app.routes)
        return
    for context in iter_route_contexts(app.routes):
        yield context.path or "", context.original_route


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        endpoint_handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if self.body_field is not None:
                # Where the body is first examined: after authentication (middleware), before
                # the role check and validation, as FastAPI reads bodies before dependencies.
                await refuse_non_json_body(request)
            database: Database = request.app.state.database
            key = request.headers.get("idempotency-key")
            caller = getattr(request.state, "caller", None)
            idempotent = (
                key is not None
                and request.method == "POST"
                and caller is not None
                and caller.key_id is not None
            )
            # An idempotent request stores its answer, so it writes even when its endpoint
            # only reads.
            write = idempotent or (
                request.method not in READ_METHODS and self.endpoint not in _READS_ONLY
            )
            # The transaction authentication began (auth/middleware.py) is the request's, unless
            # the request writes on SQLite, where a write transaction begins IMMEDIATE.
            adopted = take_over(request.scope)
            if adopted is not None and write and database.serialises_writes:
                adopted.close()
                adopted = None
            async with database.writer_turn(write=write):
                if not idempotent:
                    with database.transaction(write=write, adopt=adopted) as db:
                        request.state.db = db
                        return await endpoint_handler(request)
                assert key is not None
                assert caller is not None
                assert caller.key_id is not None
                return await _handle_idempotent(
                    request, database, endpoint_handler, caller.key_id, key, adopted
                )

        return handle


async def _handle_idempotent(
    request: Request,
    database: Database,
    endpoint_handler: Handler,
    api_key_id: str,
    key: str,
    adopted: Session | None,
) -> Response:
    try:
        body = await request.body()
    except BaseException:
        if adopted is not None:
            adopted.close()
        raise
    claimed = idempotency.IdempotentRequest(
        api_key_id=api_key_id,
        key=idempotency.check_key(key),
        fingerprint=idempotency.fingerprint(request.method, request.url.path, body),
    )
    try:
        with database.transaction(write=True, adopt=adopted) as db:
            request.state.db = db
            replay = idempotency.claim(db, claimed)
            if replay is not None:
                return replay
            response = await endpoint_handler(request)
            idempotency.remember(db, claimed, response)
            return response
    except (Problem, RequestValidationError) as exc:
        refusal = render_client_error(exc, request)
        if refusal is not None and not isinstance(exc, _ABOUT_THE_KEY):
            # The change was rolled back; the refusal itself is what a retry must see again.
            try:
                with database.transaction(write=True) as db:
                    if idempotency.claim(db, claimed) is None:
                        idempotency.remember(db, claimed, refusal)
            except Problem:
                pass  # another request took the key meanwhile: it will store its own answer
        raise


_ABOUT_THE_KEY = (IdempotencyInProgress, IdempotencyKeyReused)
