"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from needleplan.db import Database
from needleplan.migrations import database_revision
from needleplan.problems import ServiceUnavailable, ValidationFailed, problem_responses

TAG = {
    "name": "operations",
    "description": "Probes for load balancers and orchestrators. They need no API key.",
}
# refuse_nul_characters (kit.http) applies to every route: a NUL in the query string is a 422.
router = APIRouter(tags=[TAG["name"]], responses=problem_responses(ValidationFailed))


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    schema_revision: str | None


@router.get("/healthz", response_model=Health)
async def get_health() -> Health:
    """Liveness: the process is up and serving.

    Always `{"status": "ok"}` while the process answers HTTP at all; it never touches the
    database, so a failing database does not get the process restarted (see `/readyz`).
    """
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=problem_responses(ServiceUnavailable))
async def get_readiness(request: Request) -> Readiness:
    """Readiness: the database is reachable and its schema is at the head migration.

    Send traffic to this process only while it answers 200. It answers 503
    (`service-unavailable`, with `Retry-After`) while the database cannot be reached or its
    schema is not at the revision this version expects (run `needleplan migrate`).
    """
    database: Database = request.app.state.database
    head: str | None = request.app.state.schema_head
    try:
        with database.session(write=False) as db:
            current = database_revision(db.connection())
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(
            "The database is unreachable.", headers={"Retry-After": "2"}
        ) from exc
    if current != head:
        raise ServiceUnavailable(
            f"The database schema is at {current or 'nothing'}, not at {head}; run `needleplan migrate`.",
            headers={"Retry-After": "10"},
        )
    return Readiness(status="ready", database="reachable", schema_revision=current)
