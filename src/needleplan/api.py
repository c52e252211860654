"""The v1 table of contents: one include_router per domain."""

from __future__ import annotations

from fastapi import APIRouter

from needleplan.locations.router import router as locations_router
from needleplan.problems import (
    Forbidden,
    MalformedRequest,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)

v1 = APIRouter(
    prefix="/v1",
    responses=problem_responses(
        MalformedRequest, Unauthorized, Forbidden, ValidationFailed, ServiceUnavailable
    ),
)
v1.include_router(locations_router)
