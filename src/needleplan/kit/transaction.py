"""One request, one transaction, committed before the response is sent.

``TransactionalRoute`` wraps every API route: it opens the request's transaction, runs the
endpoint (which reads the session through ``DbDep``), and commits once the response is built and
before it is sent; any exception rolls it back. Idempotent POSTs store their answer inside the
same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response

from needleplan.db import Database
from needleplan.kit import idempotency
from needleplan.kit.http import refuse_non_json_body
from needleplan.problems import Problem, render_client_error

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])


def reads_only(endpoint: EndpointT) -> EndpointT:
    """Mark a POST endpoint that changes nothing (a computation such as a duration quote): it
    runs in a read transaction, so on SQLite it neither takes the write lock nor waits for it."""
    endpoint.__needleplan_reads_only__ = True  # type: ignore[attr-defined]
    return endpoint


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
                request.method not in READ_METHODS
                and not getattr(self.endpoint, "__needleplan_reads_only__", False)
            )
            async with database.writer_turn(write=write):
                if not idempotent:
                    with database.transaction(write=write) as db:
                        request.state.db = db
                        return await endpoint_handler(request)
                assert key is not None
                assert caller is not None
                assert caller.key_id is not None
                return await _handle_idempotent(
                    request, database, endpoint_handler, caller.key_id, key
                )

        return handle


async def _handle_idempotent(
    request: Request, database: Database, endpoint_handler: Handler, api_key_id: str, key: str
) -> Response:
    body = await request.body()
    claimed = idempotency.IdempotentRequest(
        api_key_id=api_key_id,
        key=idempotency.check_key(key),
        fingerprint=idempotency.fingerprint(request.method, request.url.path, body),
    )
    try:
        with database.transaction(write=True) as db:
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


_ABOUT_THE_KEY = (idempotency.IdempotencyInProgress, idempotency.IdempotencyKeyReused)
