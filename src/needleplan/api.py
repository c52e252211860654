"""The v1 table of contents: one include_router per domain."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from starlette.routing import BaseRoute

from needleplan.auth.router import router as api_keys_router
from needleplan.availability.router import router as availability_router
from needleplan.calendar_feeds.router import router as calendar_feeds_router
from needleplan.clients.router import router as clients_router
from needleplan.course_templates.router import router as course_templates_router
from needleplan.devices.router import router as devices_router
from needleplan.due.router import router as due_router
from needleplan.durations.router import router as durations_router
from needleplan.events.router import router as events_router
from needleplan.holds.router import router as holds_router
from needleplan.locations.router import router as locations_router
from needleplan.notices.router import router as notices_router
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
from needleplan.webhooks.router import router as webhooks_router

# Each tag's section heading in the docs, in this order (kit.openapi keeps the tags in use).
V1_TAGS: list[dict[str, str]] = [
    {
        "name": "locations",
        "description": "Clinics. A location's IANA time zone decides every local date and time "
        "of its rooms, providers' working plans and sessions.",
    },
    {"name": "rooms", "description": "Treatment rooms at a location; one client at a time."},
    {
        "name": "providers",
        "description": "Practitioners, their weekly working plans and dated exceptions "
        "(time off, extra hours).",
    },
    {
        "name": "clients",
        "description": "The people treated. Front desk and above read them; an `integration` "
        "key may create clients but read none.",
    },
    {
        "name": "screening",
        "description": "The screening-condition catalogue, clients' safety screenings, their "
        "eligibility on a date, clinicians' overrides and retractions.",
    },
    {
        "name": "treatment-areas",
        "description": "The catalogue of areas treated (full face, neck, ...) and the minutes "
        "each takes.",
    },
    {
        "name": "duration-quotes",
        "description": "How long a session takes, from its areas, intensity and numbing.",
    },
    {
        "name": "sessions",
        "description": "Booked treatment sessions: booking, rescheduling and the status changes "
        "of the day (arrive, complete, cancel, no-show).",
    },
    {
        "name": "treatment-plans",
        "description": "Courses of sessions 4-6 weeks apart, with the free slots for the next "
        "session and whole-course proposals.",
    },
    {
        "name": "availability",
        "description": "Free slots: when a booking for given areas would succeed right now.",
    },
    {"name": "due", "description": "Who to call: plans whose next session or maintenance is due."},
    {
        "name": "holds",
        "description": "A slot held for a few minutes while a checkout completes.",
    },
    {
        "name": "devices",
        "description": "Treatment devices (microneedling pen, RF microneedling ...), their "
        "per-area minutes, and which rooms hold them.",
    },
    {
        "name": "course-templates",
        "description": "Courses a clinic offers for an indication (acne scars, fine lines ...): "
        "what a treatment plan made from one starts with.",
    },
    {
        "name": "care-notices",
        "description": "Reminders, pre-care and aftercare notices timed from a session, emitted "
        "as events when due.",
    },
    {"name": "schedules", "description": "A provider's or a room's sessions on a local day."},
    {
        "name": "calendar-feeds",
        "description": "iCalendar feeds of a provider's, room's, location's or client's sessions "
        "for calendar apps to subscribe to; the feed's URL is its credential.",
    },
    {"name": "api-keys", "description": "API keys and their roles (admins only)."},
    {
        "name": "events",
        "description": "The change feed: every change as an event, oldest first, read with a "
        "cursor.",
    },
    {
        "name": "webhooks",
        "description": "Webhook endpoints (admins only): events POSTed as they happen, signed "
        "per Standard Webhooks 1.0 and retried until delivered.",
    },
]

V1_PREFIX = "/v1"
# What every v1 operation can answer besides its own responses.
V1_RESPONSES = problem_responses(
    MalformedRequest, Unauthorized, Forbidden, ValidationFailed, ServiceUnavailable
)
# In the order of the OpenAPI document. ``create_app`` includes each one on the app itself under
# ``V1_PREFIX`` rather than through a ``/v1`` router: FastAPI matches a nested router's routes
# once per level on the way down, and one level less took a tenth off a short read.
V1_ROUTERS = (
    locations_router,
    rooms_router,
    providers_router,
    clients_router,
    screening_conditions_router,
    screening_clients_router,
    treatment_areas_router,
    devices_router,
    durations_router,
    sessions_router,
    plans_router,
    course_templates_router,
    availability_router,
    due_router,
    holds_router,
    notices_router,
    schedules_router,
    calendar_feeds_router,
    api_keys_router,
    events_router,
    webhooks_router,
)


# The routers of the busiest paths (docs/performance.md): a session, a page, a booking, a day,
# availability. FastAPI tries a request against every route of the routers before its own, and
# twice (once to choose the router, once inside it): before the schedules' router, the 17th,
# that took about a tenth of a day's read.
BUSIEST_FIRST = (sessions_router, schedules_router, availability_router)


def matching_order(routers: Sequence[APIRouter]) -> list[APIRouter]:
    """``routers`` as ``create_app`` includes them: the busiest first, the rest in order. Which
    route answers a request does not depend on it, as no route's path matches another's
    (tests/app/test_routing.py); the OpenAPI document keeps ``routers``' order
    (``in_document_order``)."""
    return [
        *(router for router in BUSIEST_FIRST if router in routers),
        *(router for router in routers if router not in BUSIEST_FIRST),
    ]


def in_document_order(routes: Sequence[BaseRoute], routers: Sequence[APIRouter]) -> list[BaseRoute]:
    """The app's routes with the included ``routers`` put back in their own order, every other
    route where it is: what the OpenAPI document lists, in the order of the table of contents."""
    position = {id(router): index for index, router in enumerate(routers)}

    def router_of(route: BaseRoute) -> int | None:
        return position.get(id(getattr(route, "original_router", None)))

    slots = [index for index, route in enumerate(routes) if router_of(route) is not None]
    ordered = sorted((routes[index] for index in slots), key=router_of)  # type: ignore[arg-type]
    documented = list(routes)
    for index, route in zip(slots, ordered, strict=True):
        documented[index] = route
    return documented
