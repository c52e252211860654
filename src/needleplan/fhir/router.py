"""The FHIR R4 read facade: HTTP only. Every route runs in the request's transaction
(``v1_router``); errors are OperationOutcomes (problems.problem_response on /fhir/)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session
from starlette.responses import JSONResponse

from needleplan import __version__
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.availability import service as availability
from needleplan.availability.slots import expand
from needleplan.deps import AnyCaller, DbDep, FrontDesk, SettingsDep
from needleplan.durations.quote import Intensity
from needleplan.fhir import repository, resources
from needleplan.fhir.resources import Json
from needleplan.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from needleplan.kit.statuses import SessionStatus
from needleplan.kit.transaction import v1_router
from needleplan.models import (
    Client,
    Location,
    Provider,
    Room,
    TreatmentPlan,
    TreatmentSession,
)
from needleplan.problems import (
    FHIR_MEDIA_TYPE,
    Forbidden,
    MalformedRequest,
    NotFound,
    Problem,
    ServiceUnavailable,
    Unauthorized,
)

PREFIX = "/fhir/R4"
TAG = {
    "name": "FHIR",
    "description": "A read-only FHIR R4 facade (`application/fhir+json`): sessions as "
    "Appointments, clients as Patients, providers as Practitioners with one Schedule each, "
    "clinics and rooms as Locations, treatment plans as CarePlans and free starts as Slots. "
    "Errors are OperationOutcomes.",
}
ID_PATTERN = r"^[A-Za-z0-9\-\.]{1,64}$"
# A FHIR date search value with the prefixes served: ge (from) and lt (before).
DATE_PATTERN = r"^(ge|lt)\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$"
SLOT_DAYS = 31


class FhirResponse(JSONResponse):
    media_type = FHIR_MEDIA_TYPE


class OutcomeIssue(BaseModel):
    severity: str
    code: str
    diagnostics: str | None = None


class OperationOutcome(BaseModel):
    """A FHIR OperationOutcome: why the request failed."""

    resourceType: str  # noqa: N815 - FHIR's element name
    issue: list[OutcomeIssue]


class FhirResource(BaseModel):
    """A FHIR R4 resource or Bundle (https://hl7.org/fhir/R4/)."""

    model_config = ConfigDict(extra="allow")
    resourceType: str  # noqa: N815 - FHIR's element name
    id: str | None = None


def outcomes(*problems: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the OperationOutcomes an operation answers with."""
    by_status: dict[int, list[str]] = {}
    for problem in problems:
        status = 400 if problem.status == 422 else problem.status
        by_status.setdefault(status, []).append(problem.title)
    return {
        status: {"model": OperationOutcome, "description": " / ".join(titles)}
        for status, titles in sorted(by_status.items())
    }


router = v1_router(
    prefix=PREFIX,
    tags=["FHIR"],
    default_response_class=FhirResponse,
    responses=outcomes(MalformedRequest, Unauthorized, Forbidden, ServiceUnavailable),
)
READ: dict[str, Any] = {
    "response_model": FhirResource,
    "response_class": FhirResponse,
    "responses": outcomes(NotFound),
}
SEARCH: dict[str, Any] = {"response_model": FhirResource, "response_class": FhirResponse}

CountQuery = Annotated[
    int, Query(alias="_count", ge=1, le=MAX_LIMIT, description="Page size, 1–200.")
]
CursorQuery = Annotated[
    str | None,
    Query(
        alias="_cursor",
        max_length=200,
        pattern=r"^[A-Za-z0-9_\-]+$",
        description="Where the `next` link continues; follow the link rather than build it.",
    ),
]


DateValue = Annotated[str, Query(pattern=DATE_PATTERN)]
DATES_HELP = "`ge<instant or date>` and/or `lt<instant or date>` (a date is 00:00 UTC)."
DateQuery = Annotated[
    list[DateValue] | None, Query(alias="date", max_length=2, description=DATES_HELP)
]
StartQuery = Annotated[
    list[DateValue] | None, Query(alias="start", max_length=2, description=DATES_HELP)
]


def _send(document: Json) -> FhirResponse:
    return FhirResponse(document)


def _reference_id(value: str | None, kind: str, name: str) -> str | None:
    if value is None:
        return None
    resource_id = value.removeprefix(f"{kind}/")
    if "/" in resource_id:
        raise MalformedRequest(f"`{name}` must be a {kind} reference or id.")
    return resource_id


def _bounds(values: list[str] | None, name: str) -> tuple[datetime | None, datetime | None]:
    lower: datetime | None = None
    upper: datetime | None = None
    for value in values or []:
        prefix, text = value[:2], value[2:]
        try:
            moment = (
                datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
                if len(text) == 10
                else datetime.fromisoformat(text)
            )
        except ValueError as exc:
            raise MalformedRequest(f"`{name}={value}` is no date or instant.") from exc
        if moment.tzinfo is None:
            raise MalformedRequest(f"`{name}={value}` needs a time zone.")
        if prefix == "ge":
            lower = moment
        else:
            upper = moment
    return lower, upper


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _links(
    request: Request,
    resource_type: str,
    next_cursor: str | None,
    defaults: tuple[tuple[str, str], ...] = (),
) -> tuple[str, str | None]:
    """The Bundle's ``self`` and ``next`` URLs. ``defaults`` are parameters the server applied
    without being sent: FHIR's self link states the search as performed, so they are in it."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "_cursor"]
    here = f"{_base(request)}/{resource_type}"
    self_url = f"{here}?{urlencode([*request.query_params.multi_items(), *defaults])}".rstrip("?")
    if next_cursor is None:
        return self_url, None
    return self_url, f"{here}?{urlencode([*params, ('_cursor', next_cursor)])}"


def _reads_clients(caller: Caller) -> bool:
    return caller.role.may_act_as(Role.front_desk)


def _appointments(db: Session, caller: Caller, sessions: list[TreatmentSession]) -> list[Json]:
    areas = repository.area_names(db, {code for s in sessions for code in s.areas})
    rooms = repository.rooms_by_id(db, {s.room_id for s in sessions})
    providers = {pid: db.get(Provider, pid) for pid in {s.provider_id for s in sessions}}
    names: dict[str, str | None] = {}
    if _reads_clients(caller):
        for client_id in {s.client_id for s in sessions}:
            person = db.get(Client, client_id)
            names[client_id] = resources.patient_name(person) if person else None
    found = []
    for session in sessions:
        provider = providers.get(session.provider_id)
        room = rooms.get(session.room_id)
        found.append(
            resources.appointment(
                session,
                area_names=areas,
                patient_display=names.get(session.client_id),
                practitioner_display=provider.name if provider else None,
                room_display=room.name if room else None,
            )
        )
    return found


@router.get("/metadata", response_model=FhirResource, response_class=FhirResponse)
async def read_fhir_capabilities(request: Request, _: AnyCaller) -> FhirResponse:
    """The FHIR CapabilityStatement: every resource, interaction and search parameter served.

    Read-only: `read` and `search-type` only. Unknown search parameters are refused with 400.
    """
    return _send(capability_statement(_base(request)))


SERVICE_TYPE_HELP = (
    "Treatment area codes, comma-separated: the session each Slot must fit (standard "
    "intensity, no numbing). Without it, the shortest session there is: the catalogue's "
    "shortest area (the first code on a tie; `lips` in the shipped catalogue), which fits at "
    "every start where a longer session does. Each Slot names its areas in `serviceType`; the "
    "Bundle's `self` link shows the default applied."
)
LOCATION_HELP = (
    "Location/<clinic id>: whose calendar to search; needed only when there are several clinics."
)
SEARCH_PARAMS: dict[str, list[tuple[str, str, str]]] = {
    "Appointment": [
        ("date", "date", "The start: `ge` and `lt` prefixes."),
        ("practitioner", "reference", "Practitioner/<provider id>."),
        ("location", "reference", "Location/<clinic or room id>."),
        ("patient", "reference", "Patient/<client id>."),
        ("status", "token", "booked, arrived, fulfilled, cancelled, noshow, entered-in-error."),
        ("_count", "number", "Page size, 1-200."),
    ],
    "Practitioner": [("_count", "number", "Page size, 1-200.")],
    "Location": [],
    "Schedule": [
        ("actor", "reference", "Practitioner/<provider id>."),
        ("_count", "number", "Page size, 1-200."),
    ],
    "Slot": [
        ("schedule", "reference", "Schedule/<provider id> (required)."),
        ("start", "date", "`ge` and `lt` prefixes (required, at most 31 days)."),
        ("service-type", "token", SERVICE_TYPE_HELP),
        ("location", "reference", LOCATION_HELP),
    ],
    "CarePlan": [],
    "Patient": [],
}


def capability_statement(base: str) -> Json:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kind": "instance",
        "software": {"name": "needleplan", "version": __version__},
        "implementation": {"description": "needleplan FHIR R4 read facade", "url": base},
        "fhirVersion": "4.0.1",
        "format": [FHIR_MEDIA_TYPE],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "Authorization: Bearer <needleplan API key>. Patient needs "
                    "the front_desk role or higher."
                },
                "resource": [
                    {
                        "type": kind,
                        "interaction": [{"code": "read"}]
                        + ([] if kind in ("CarePlan", "Patient") else [{"code": "search-type"}]),
                        **(
                            {
                                "searchParam": [
                                    {"name": name, "type": kind_, "documentation": doc}
                                    for name, kind_, doc in params
                                ]
                            }
                            if params
                            else {}
                        ),
                    }
                    for kind, params in SEARCH_PARAMS.items()
                ],
            }
        ],
    }


def _refuse_unknown(request: Request, kind: str) -> None:
    known = {name for name, _, _ in SEARCH_PARAMS[kind]} | {"_cursor"}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise MalformedRequest(f"Unknown search parameter(s) for {kind}: {', '.join(unknown)}.")


@router.get("/Appointment", **SEARCH)
async def search_fhir_appointments(
    request: Request,
    db: DbDep,
    caller: AnyCaller,
    dates: DateQuery = None,
    practitioner: Annotated[str | None, Query(max_length=60)] = None,
    location: Annotated[str | None, Query(max_length=60)] = None,
    patient: Annotated[str | None, Query(max_length=60)] = None,
    status: SessionStatus | None = None,
    count: CountQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> FhirResponse:
    """Search Appointments (sessions) by start, practitioner, location, patient and status.

    A `searchset` Bundle ordered by start; its `next` link holds the cursor of the next page.
    `location` is a clinic or a room. An `integration` key sees patient references without
    names. An unknown parameter or an unreadable date is a 400 OperationOutcome.
    """
    _refuse_unknown(request, "Appointment")
    starts_from, until = _bounds(dates, "date")
    rows, next_cursor = repository.page_of_appointments(
        db,
        starts_from=starts_from,
        until=until,
        provider_id=_reference_id(practitioner, "Practitioner", "practitioner"),
        location_id=_reference_id(location, "Location", "location"),
        client_id=_reference_id(patient, "Patient", "patient"),
        status=status,
        limit=count,
        cursor=cursor,
    )
    self_url, next_url = _links(request, "Appointment", next_cursor)
    entries = _appointments(db, caller, rows)
    return _send(resources.searchset(entries, _base(request), self_url, next_url))


def _found(row: Any, kind: str, resource_id: str) -> Any:
    if row is None:
        raise NotFound(f"No {kind} has the id {resource_id}.")
    return row


@router.get("/Appointment/{appointment_id}", **READ)
async def read_fhir_appointment(appointment_id: str, db: DbDep, caller: AnyCaller) -> FhirResponse:
    """Read an Appointment: a session by its needleplan id.

    An `integration` key sees the patient reference without a name. An unknown id is a 404
    OperationOutcome.
    """
    session = _found(db.get(TreatmentSession, appointment_id), "Appointment", appointment_id)
    return _send(_appointments(db, caller, [session])[0])


@router.get("/Patient/{patient_id}", **READ)
async def read_fhir_patient(patient_id: str, db: DbDep, _: FrontDesk) -> FhirResponse:
    """Read a Patient: a client by their needleplan id.

    Front desk and clinicians only: an `integration` key gets a 403 OperationOutcome. An
    unknown id is a 404.
    """
    return _send(resources.patient(_found(db.get(Client, patient_id), "Patient", patient_id)))


@router.get("/Practitioner", **SEARCH)
async def search_fhir_practitioners(
    request: Request,
    db: DbDep,
    _: AnyCaller,
    count: CountQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> FhirResponse:
    """Search Practitioners: every provider, in pages.

    A `searchset` Bundle; its `next` link holds the cursor of the next page. An unknown
    parameter is a 400 OperationOutcome.
    """
    _refuse_unknown(request, "Practitioner")
    rows, next_cursor = repository.page_of_providers(db, limit=count, cursor=cursor)
    self_url, next_url = _links(request, "Practitioner", next_cursor)
    entries = [resources.practitioner(p) for p in rows]
    return _send(resources.searchset(entries, _base(request), self_url, next_url))


@router.get("/Practitioner/{practitioner_id}", **READ)
async def read_fhir_practitioner(practitioner_id: str, db: DbDep, _: AnyCaller) -> FhirResponse:
    """Read a Practitioner: a provider by their needleplan id.

    An unknown id is a 404 OperationOutcome.
    """
    provider = _found(db.get(Provider, practitioner_id), "Practitioner", practitioner_id)
    return _send(resources.practitioner(provider))


@router.get("/Location", **SEARCH)
async def search_fhir_locations(request: Request, db: DbDep, _: AnyCaller) -> FhirResponse:
    """Search Locations: every clinic, then every room (`partOf` its clinic).

    A `searchset` Bundle in one page. An unknown parameter is a 400 OperationOutcome.
    """
    _refuse_unknown(request, "Location")
    entries = [resources.clinic(c) for c in repository.all_locations(db)]
    entries += [resources.room(r) for r in repository.all_rooms(db)]
    self_url, _next = _links(request, "Location", None)
    return _send(resources.searchset(entries, _base(request), self_url, None))


@router.get("/Location/{location_id}", **READ)
async def read_fhir_location(location_id: str, db: DbDep, _: AnyCaller) -> FhirResponse:
    """Read a Location: a clinic, or a room with `partOf` its clinic.

    An unknown id is a 404 OperationOutcome.
    """
    found = db.get(Location, location_id)
    if found is not None:
        return _send(resources.clinic(found))
    return _send(resources.room(_found(db.get(Room, location_id), "Location", location_id)))


@router.get("/Schedule", **SEARCH)
async def search_fhir_schedules(
    request: Request,
    db: DbDep,
    _: AnyCaller,
    actor: Annotated[str | None, Query(max_length=60)] = None,
    count: CountQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> FhirResponse:
    """Search Schedules: one per provider, with the provider's id.

    `actor` keeps one provider's. A `searchset` Bundle; an unknown parameter is a 400
    OperationOutcome.
    """
    _refuse_unknown(request, "Schedule")
    provider_id = _reference_id(actor, "Practitioner", "actor")
    if provider_id is not None:
        provider = db.get(Provider, provider_id)
        rows, next_cursor = ([provider] if provider else []), None
    else:
        rows, next_cursor = repository.page_of_providers(db, limit=count, cursor=cursor)
    self_url, next_url = _links(request, "Schedule", next_cursor)
    entries = [resources.schedule(p) for p in rows]
    return _send(resources.searchset(entries, _base(request), self_url, next_url))


@router.get("/Schedule/{schedule_id}", **READ)
async def read_fhir_schedule(schedule_id: str, db: DbDep, _: AnyCaller) -> FhirResponse:
    """Read a Schedule: a provider's, by the provider's id.

    An unknown id is a 404 OperationOutcome.
    """
    return _send(resources.schedule(_found(db.get(Provider, schedule_id), "Schedule", schedule_id)))


@router.get("/Slot", **SEARCH)
async def search_fhir_slots(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    _: AnyCaller,
    schedule: Annotated[str, Query(max_length=60)],
    service_type: Annotated[
        str | None,
        Query(
            alias="service-type",
            min_length=2,
            max_length=200,
            pattern=r"^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$",
            description=SERVICE_TYPE_HELP,
        ),
    ] = None,
    start: StartQuery = None,
    location: Annotated[str | None, Query(max_length=60, description=LOCATION_HELP)] = None,
) -> FhirResponse:
    """Search free Slots of a Schedule: the starts at which a booking would succeed now.

    Computed like `GET /v1/availability` (working time, sessions, holds, slot grid, notice)
    for the treatment areas in `service-type`, at most 31 days at a time; each Slot lasts the
    client's stay. Without `service-type`, for the shortest session there is (the catalogue's
    shortest area). A missing or unreadable `start` bound is a 400 OperationOutcome.
    """
    _refuse_unknown(request, "Slot")
    provider_id = _reference_id(schedule, "Schedule", "schedule")
    assert provider_id is not None
    starts_from, until = _bounds(start, "start")
    if starts_from is None or until is None:
        raise MalformedRequest("Send both `start=ge...` and `start=lt...`.")
    if until <= starts_from or until - starts_from > timedelta(days=SLOT_DAYS):
        raise MalformedRequest("`start` must span at most 31 days, `lt` after `ge`.")
    if db.get(Provider, provider_id) is None:
        raise NotFound(f"No Schedule has the id {provider_id}.")
    found = availability.resolve_location(db, _reference_id(location, "Location", "location"), None)
    defaults: tuple[tuple[str, str], ...] = ()
    if service_type is None:
        # FHIR clients ask for a Schedule's free Slots without naming a service; the shortest
        # session fits wherever a longer one does, so its starts are all a Schedule offers.
        shortest = repository.shortest_area(db)
        if shortest is None:  # an empty catalogue: nothing can be booked
            self_url, _next = _links(request, "Slot", None)
            return _send(resources.searchset([], _base(request), self_url, None))
        service_type = shortest.code
        defaults = (("service-type", service_type),)
    areas = service_type.split(",")
    runs, _zone, offsets = availability.search(
        db,
        settings,
        availability.Search(
            areas=areas,
            intensity=Intensity.standard,
            numbing=False,
            starts_from=starts_from,
            until=until,
            location_id=found.id,
            provider_id=provider_id,
        ),
    )
    stay = timedelta(minutes=offsets.numbing + offsets.treatment)
    starts = sorted({s.starts_at for s in expand(runs, settings.slot_grid_minutes)})
    names = repository.area_names(db, set(areas))
    entries = [
        resources.slot(provider_id, s, s + stay, areas=areas, area_names=names) for s in starts
    ]
    self_url, _next = _links(request, "Slot", None, defaults)
    return _send(resources.searchset(entries, _base(request), self_url, None))


@router.get("/CarePlan/{care_plan_id}", **READ)
async def read_fhir_care_plan(care_plan_id: str, db: DbDep, caller: AnyCaller) -> FhirResponse:
    """Read a CarePlan: a treatment plan by its needleplan id.

    An `integration` key sees the patient reference without a name. An unknown id is a 404
    OperationOutcome.
    """
    plan = _found(db.get(TreatmentPlan, care_plan_id), "CarePlan", care_plan_id)
    person = db.get(Client, plan.client_id) if _reads_clients(caller) else None
    return _send(
        resources.care_plan(
            plan,
            area_names=repository.area_names(db, set(plan.areas)),
            patient_display=resources.patient_name(person) if person else None,
        )
    )
