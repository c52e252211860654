"""create_app(): routers, problem handlers, middleware, nothing else."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from needleplan import __version__
from needleplan.api import (
    V1_PREFIX,
    V1_RESPONSES,
    V1_ROUTERS,
    V1_TAGS,
    in_document_order,
    matching_order,
)
from needleplan.auth.middleware import AuthenticationMiddleware
from needleplan.calendar_feeds.router import feeds_router as calendar_router
from needleplan.config import Settings, get_settings
from needleplan.db import Database
from needleplan.fhir.router import TAG as FHIR_TAG
from needleplan.fhir.router import router as fhir_router
from needleplan.kit.access_log import AccessLogMiddleware
from needleplan.kit.body_limit import BodyLimitMiddleware
from needleplan.kit.docs import FAVICON_URL, SWAGGER_UI_PARAMETERS, install_redoc
from needleplan.kit.http import refuse_nul_characters
from needleplan.kit.openapi import build_openapi, operation_id
from needleplan.kit.transaction import require_transactional
from needleplan.metrics.exposition import install_metrics, protected_paths
from needleplan.metrics.middleware import MetricsMiddleware
from needleplan.migrations import head_revision
from needleplan.ops.router import TAG as OPS_TAG
from needleplan.ops.router import router as ops_router
from needleplan.plans import course
from needleplan.problems import install_problem_handlers

DESCRIPTION = """The treatment-plan calendar of micro-needling and med-spa clinics.

Every `/v1` operation needs `Authorization: Bearer <api key>`. Errors are
`application/problem+json` (RFC 9457); each `type` is a page served by this API.
"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = database or Database(settings.database_url)
    # Work done for a request's transaction after its handler returns (events rendered, webhook
    # deliveries scheduled) runs under these settings, not the environment's.
    database.settings = settings
    app: FastAPI = FastAPIOffline(
        title="needleplan",
        version=__version__,
        description=DESCRIPTION,
        contact={"name": "needleplan maintainers"},
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
        openapi_tags=[OPS_TAG, *V1_TAGS, FHIR_TAG],
        generate_unique_id_function=operation_id,
        favicon_url=FAVICON_URL,
        redoc_url=None,  # install_redoc serves it without its remote logo
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        dependencies=[Depends(refuse_nul_characters)],
    )
    app.state.settings = settings
    app.state.database = database
    app.state.schema_head = head_revision(database.url)
    # The plan rules the booking engine applies (sessions/plan_course.py).
    app.state.plan_course = course

    install_problem_handlers(app)
    install_redoc(app)
    install_metrics(app)  # GET /metrics, outside the OpenAPI document
    app.include_router(ops_router)
    for domain_router in matching_order(V1_ROUTERS):
        app.include_router(domain_router, prefix=V1_PREFIX, responses=V1_RESPONSES)
    app.include_router(calendar_router)  # GET /calendar/<token>.ics, no API key
    app.include_router(fhir_router)  # the read-only FHIR R4 facade at /fhir/R4
    require_transactional(app)  # every /v1 route runs in the request's transaction
    require_transactional(app, "/fhir")  # and every FHIR one

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, in_document_order(app.routes, V1_ROUTERS))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented schema hook

    # Inside authentication, so 401 still comes first; outside everything that reads a body.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(AuthenticationMiddleware, also_protected=protected_paths(settings))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "Retry-After"],
        )
    app.add_middleware(MetricsMiddleware, database=database)
    app.add_middleware(AccessLogMiddleware)
    return app
