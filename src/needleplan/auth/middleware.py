"""Authentication for every ``/v1`` and ``/fhir/`` route, before anything reads the request body.

It runs as ASGI middleware so that an unauthenticated request always gets 401, even when its
body is malformed (401 is the first check, docs/api.md#order-of-checks). Roles (403) are
checked by dependencies.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from needleplan.auth.service import KeyMatch, mark_used, match_secret
from needleplan.db import Database
from needleplan.kit.time import utc_now
from needleplan.kit.transaction import hand_over, take_over
from needleplan.problems import ServiceUnavailable, Unauthorized, problem_response

PROTECTED_PREFIX = "/v1/"
# Everything else is public: the probes, the docs, and /calendar/<token>.ics (calendar apps send
# no header; the token in the path is the credential, calendar_feeds/router.py).
FHIR_PREFIX = "/fhir/"  # the FHIR facade takes the same keys

log = logging.getLogger(__name__)


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, also_protected: Collection[str] = ()) -> None:
        self.app = app
        # Paths outside /v1 that need a key too (``/metrics``, unless NEEDLEPLAN_METRICS_PUBLIC).
        self.also_protected = frozenset(also_protected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        route_path = _route_path(scope)
        if scope["type"] != "http" or not (
            route_path.startswith((PROTECTED_PREFIX, FHIR_PREFIX))
            or route_path == "/v1"
            or route_path in self.also_protected
        ):
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization", "")
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            problem = Unauthorized("Send Authorization: Bearer <api key>.")
            await problem_response(problem, path, root)(scope, receive, send)
            return
        database: Database = scope["app"].state.database
        # The key is read from the database on every request, so a revocation holds in every
        # process at once. A read without a body (GET, HEAD) goes on in the lookup's transaction:
        # the route adopts this session (kit/transaction.py), one transaction on one connection.
        # A request with a body ends the lookup's transaction at once: it would otherwise hold a
        # pooled connection while its body arrives and it waits its turn to write, and enough
        # such requests exhaust the pool, whose checkout then blocks the event loop that would
        # let them finish.
        adopt = scope.get("method") in _WITHOUT_BODY
        db = database.session(write=False)
        if adopt:
            hand_over(scope, db)
        try:
            try:
                match = match_secret(db, secret)
            except (OperationalError, PoolTimeoutError):
                unavailable = ServiceUnavailable(
                    "The database is unreachable; retry shortly.", headers={"Retry-After": "2"}
                )
                await problem_response(unavailable, path, root)(scope, receive, send)
                return
            if match is None:
                problem = Unauthorized("The API key is unknown or revoked.")
                await problem_response(problem, path, root)(scope, receive, send)
                return
            if not adopt or _use_is_stale(match):
                # Nothing awaited holds the lookup's connection: the refresh may wait for
                # SQLite's writer, and the body may be slow to arrive.
                take_over(scope)
                db.close()  # ends the read transaction, returns the connection
                await _note_use(database, match)
            scope["state"]["caller"] = match.caller
            await self.app(scope, receive, send)
        finally:
            if take_over(scope) is not None or not adopt:  # not adopted: 401, 404, a body ...
                db.close()  # ends the read transaction, returns the connection


_WITHOUT_BODY = frozenset({"GET", "HEAD"})


def _route_path(scope: Scope) -> str:
    """The path without the ``--root-path`` prefix, which the server includes in ``path``."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


def _use_is_stale(match: KeyMatch) -> bool:
    return match.caller.key_id is not None and match.last_use_is_stale(utc_now())


async def _note_use(database: Database, match: KeyMatch) -> None:
    """Refresh the key's ``last_used_at`` when it is more than a minute old: one small write per
    key and minute, never one per request. Best effort: a failure never fails the request."""
    now = utc_now()
    if match.caller.key_id is None or not match.last_use_is_stale(now):
        return
    try:
        async with database.writer_turn(write=True):
            with database.transaction() as db:
                mark_used(db, match.caller.key_id, now)
    except SQLAlchemyError as exc:
        log.warning(
            "could not record the use of API key %s: %s", match.caller.key_id, type(exc).__name__
        )
