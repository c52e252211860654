"""The v1 table of contents: one include_router per domain."""

from __future__ import annotations

from fastapi import APIRouter

from needleplan.auth.router import router as api_keys_router
from needleplan.availability.router import router as availability_router
from needleplan.clients.router import router as clients_router
from needleplan.due.router import router as due_router
from needleplan.durations.router import router as durations_router
from needleplan.holds.router import router as holds_router
from needleplan.locations.router import router as locations_router
from needleplan.plans.router import router as plans_router
from needleplan.problems import (
    Forbidden,
    MalformedRequest,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from needleplan.providers.router import router as providers_router
from needleplan.rooms.router import router as rooms_router
from needleplan.screening.router import clients_router as screening_clients_router
from needleplan.screening.router import conditions_router as screening_conditions_router
from needleplan.sessions.router import router as sessions_router
from needleplan.sessions.router import schedules_router
from needleplan.treatment_areas.router import router as treatment_areas_router

v1 = APIRouter(
    prefix="/v1",
    responses=problem_responses(
        MalformedRequest, Unauthorized, Forbidden, ValidationFailed, ServiceUnavailable
    ),
)
for domain_router in (
    locations_router,
    rooms_router,
    providers_router,
    clients_router,
    screening_conditions_router,
    screening_clients_router,
    treatment_areas_router,
    durations_router,
    sessions_router,
    plans_router,
    availability_router,
    due_router,
    holds_router,
    schedules_router,
    api_keys_router,
):
    v1.include_router(domain_router)
