"""Authentication for every ``/v1`` route, before anything reads the request body.

It runs as ASGI middleware so that an unauthenticated request always gets 401, even when its
body is malformed (SPEC 5: 401 is the first check). Roles (403) are checked by dependencies.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from needleplan.auth.service import caller_for_secret
from needleplan.db import Database
from needleplan.problems import ServiceUnavailable, Unauthorized, problem_response

PROTECTED_PREFIX = "/v1/"


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path.startswith(PROTECTED_PREFIX) or path == "/v1"):
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization", "")
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            problem = Unauthorized("Send Authorization: Bearer <api key>.")
            await problem_response(problem, path)(scope, receive, send)
            return
        database: Database = scope["app"].state.database
        try:
            with database.session(write=False) as db:
                caller = caller_for_secret(db, secret)
        except (OperationalError, PoolTimeoutError):
            unavailable = ServiceUnavailable(
                "The database is unreachable; retry shortly.", headers={"Retry-After": "2"}
            )
            await problem_response(unavailable, path)(scope, receive, send)
            return
        if caller is None:
            problem = Unauthorized("The API key is unknown or revoked.")
            await problem_response(problem, path)(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)
