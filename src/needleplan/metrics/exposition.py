"""``GET /metrics``: the Prometheus text format, for an admin key (or anyone when
``NEEDLEPLAN_METRICS_PUBLIC=true``). Not in the OpenAPI document: it is no part of the API.

Under ``needleplan serve`` every worker writes its samples to ``PROMETHEUS_MULTIPROC_DIR`` and
the worker that answers the scrape adds them all up (``MultiProcessCollector``).
"""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.metrics import multiprocess
from needleplan.metrics.instruments import read_pool
from needleplan.problems import Forbidden, Unauthorized

METRICS_PATH = "/metrics"


def protected_paths(settings: Settings) -> tuple[str, ...]:
    """The paths outside ``/v1`` that still need an API key (auth/middleware.py)."""
    return () if settings.metrics_public else (METRICS_PATH,)


def scrape(database: Database) -> bytes:
    read_pool(database.engine.pool)
    if multiprocess.enabled():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def get_metrics(request: Request) -> Response:
    """A plain ``def``: Starlette runs it in the threadpool, off the event loop (file reads)."""
    settings: Settings = request.app.state.settings
    if not settings.metrics_public:
        caller: Caller | None = getattr(request.state, "caller", None)
        if caller is None:
            raise Unauthorized("Send Authorization: Bearer <api key>.")
        if not caller.role.may_act_as(Role.admin):
            raise Forbidden(
                f"/metrics needs the admin role (or NEEDLEPLAN_METRICS_PUBLIC=true); "
                f"this API key's role is {caller.role.value}."
            )
    return Response(scrape(request.app.state.database), media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI) -> None:
    app.add_route(METRICS_PATH, get_metrics, methods=["GET"], include_in_schema=False)
    multiprocess.mark_dead_at_exit()
