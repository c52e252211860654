"""Counts and times every HTTP request by its route template, cheaply.

The route is the template FastAPI matched (``/v1/sessions/{session_id}``), found by the matched
route object in a table built once; a request answered before routing (401, 413) is matched
against the same templates; a path no route matches is ``<unmatched>``. The raw path, which may
hold an id, is never a label. The booking endpoint's answers are also counted by outcome
(``instruments.booking_outcome``, from the status and the problem's ``type``).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from needleplan.db import Database
from needleplan.metrics.instruments import (
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS,
    booking_outcome,
    count_booking,
    read_pool,
)

UNMATCHED = "<unmatched>"
BOOKING_ROUTE = ("POST", "/v1/sessions")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The pool gauges are read at most once a second while requests run, at every scrape, and
# once more when the worker goes idle after a read that saw connections in use.
POOL_READ_INTERVAL = 1.0


class RouteTemplates:
    """The route template of a request: by the matched route object, else by matching."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.by_route: dict[int, str] = {}  # by id(): Starlette routes are not hashable
        self.patterns: list[tuple[re.Pattern[str], str]] = []
        for context in iter_route_contexts(routes):
            template = context.path_format or context.path
            if template is None:
                continue
            self.by_route.setdefault(id(context.original_route), template)
            self.patterns.append((compile_path(template)[0], template))

    def of(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is not None:
            template = self.by_route.get(id(route))
            if template is not None:
                return template
        path: str = scope.get("path", "")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):  # uvicorn's --root-path is part of the path
            path = path[len(root) :] or "/"
        for pattern, template in self.patterns:
            if pattern.match(path):
                return template
        return UNMATCHED


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, database: Database) -> None:
        self.app = app
        self.database = database
        self.templates: RouteTemplates | None = None
        self.children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.in_flight = 0
        self.pool_read_at = 0.0
        self.pool_seen_busy = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.templates is None:
            self.templates = RouteTemplates(scope["app"].router.routes)
        templates = self.templates
        method: str = scope["method"]
        if method not in METHODS:
            method = "OTHER"
        started = time.perf_counter()
        status = 500
        route: str | None = None
        booking: list[bytes] | None = None  # the problem body of a booking answer
        replayed = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, route, booking, replayed
            if message["type"] == "http.response.start":
                status = message["status"]
                route = templates.of(scope)
                if (method, route) == BOOKING_ROUTE:
                    booking = []
                    replayed = any(
                        name.lower() == b"idempotent-replayed"
                        for name, _ in message.get("headers", ())
                    )
            elif booking is not None and status >= 400:
                booking.append(message.get("body", b""))
            await send(message)

        self.in_flight += 1
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.in_flight -= 1
            elapsed = time.perf_counter() - started
            if route is None:
                route = templates.of(scope)
            key = (method, route, status)
            children = self.children.get(key)
            if children is None:
                children = (
                    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
                    HTTP_REQUEST_DURATION.labels(method=method, route=route),
                )
                self.children[key] = children
            children[0].inc()
            children[1].observe(elapsed)
            if booking is not None:
                count_booking(booking_outcome(status, _problem_type(booking), replayed=replayed))
            now = started + elapsed
            if now - self.pool_read_at > POOL_READ_INTERVAL or (
                self.pool_seen_busy and self.in_flight == 0
            ):
                self.pool_read_at = now
                self.pool_seen_busy = read_pool(self.database.engine.pool) > 0


def _problem_type(chunks: list[bytes]) -> str | None:
    if not chunks:
        return None
    try:
        document = json.loads(b"".join(chunks))
    except ValueError:
        return None
    kind = document.get("type") if isinstance(document, dict) else None
    return kind if isinstance(kind, str) else None
