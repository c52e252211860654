"""Every mutating operation of the API writes its audit record (audit/service.py ``record``).

One case per POST, PUT, PATCH and DELETE under /v1 of the OpenAPI document; a new mutating
operation fails ``test_every_mutating_operation_has_a_case`` until it is given one here.

The rule checked: a mutation writes one audit record per resource it mutates, each naming that
resource. Nearly every operation mutates one resource and writes exactly one record; a course
proposal with ``book: true`` books several sessions and writes one record per session (at least
one). A duration quote and a course proposal without ``book`` are POSTs that change nothing and
write none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from needleplan.models import AuditEvent
from tests.clock import at
from tests.conftest import Headers, RollbackDatabase
from tests.factories import Clinic, booking, future_day, local, make_client, make_clinic

MUTATING = {"post", "put", "patch", "delete"}


@dataclass
class World:
    client: TestClient
    admin: Headers
    clinician: Headers
    clinic: Clinic

    def person(self) -> str:
        return make_client(self.client, self.clinician)

    def created(self, path: str, body: dict[str, Any], headers: Headers | None = None) -> Any:
        response = self.client.post(path, json=body, headers=headers or self.admin)
        assert response.status_code == 201, response.text
        return response.json()

    def session(self, days_ahead: int = 10, wall: str = "10:00") -> dict[str, Any]:
        body = booking(self.clinic, self.person(), local(future_day(days_ahead), wall))
        session: dict[str, Any] = self.created("/v1/sessions", body, self.clinician)
        return session

    def plan(self, **extra: Any) -> dict[str, Any]:
        body = {"client_id": self.person(), "location_id": self.clinic.location_id, **extra}
        plan: dict[str, Any] = self.created(
            "/v1/treatment-plans",
            {"areas": ["full_face"], "numbing": False, **body},
            self.clinician,
        )
        return plan

    def match(self, version: int = 1) -> Headers:
        return {**self.admin, "If-Match": f'"{version}"'}


# A literal public address: the SSRF guard passes it without resolving a name.
_HOOK = {"url": "https://93.184.215.14/hook", "event_types": ["*"], "role": "admin"}


_NOTICE = {
    "code": "audit_notice",
    "kind": "reminder",
    "anchor": "start",
    "offset_minutes": -60,
    "text": "Your session starts in an hour.",
}


def _delivery(world: World) -> tuple[str, str]:
    """An endpoint and one of its deliveries (of its own creation's event)."""
    hook = world.created("/v1/webhook-endpoints", _HOOK)
    page = world.client.get(f"/v1/webhook-endpoints/{hook['id']}/deliveries", headers=world.admin)
    assert page.status_code == 200, page.text
    return hook["id"], page.json()["items"][0]["id"]


@dataclass(frozen=True)
class Case:
    """``setup`` builds what the operation needs (its own audit records are not counted);
    ``call`` performs the operation, which must succeed. ``resource``: what every record of the
    operation names (None: the operation mutates nothing and writes no record); ``many``: one
    record per mutated resource, at least one."""

    setup: Callable[[World], Any]
    call: Callable[[World, Any], Any]
    resource: str | None
    many: bool = False


def _nothing(world: World) -> None:
    return None


def _treatment_start(session: dict[str, Any]) -> datetime:
    treatment = next(s for s in session["segments"] if s["kind"] == "treatment")
    return datetime.fromisoformat(treatment["starts_at"])


def _arrived(world: World) -> dict[str, Any]:
    session = world.session()
    with at(_treatment_start(session)):
        screening = {"screened_on": _treatment_start(session).date().isoformat()}
        world.created(f"/v1/clients/{session['client_id']}/screenings", screening, world.clinician)
        arrived = world.client.post(f"/v1/sessions/{session['id']}/arrive", headers=world.admin)
        assert arrived.status_code == 200, arrived.text
    return session


def _rescreened(world: World) -> dict[str, Any]:
    session = world.session()
    with at(_treatment_start(session)):
        screening = {"screened_on": _treatment_start(session).date().isoformat()}
        world.created(f"/v1/clients/{session['client_id']}/screenings", screening, world.clinician)
    return session


def _session_action(action: str) -> Callable[[World, dict[str, Any]], Any]:
    def call(world: World, session: dict[str, Any]) -> Any:
        return world.client.post(
            f"/v1/sessions/{session['id']}/{action}", json={"reason": "ill"}, headers=world.admin
        )

    return call


def _at_treatment(action: str) -> Callable[[World, dict[str, Any]], Any]:
    def call(world: World, session: dict[str, Any]) -> Any:
        with at(_treatment_start(session)):
            return world.client.post(f"/v1/sessions/{session['id']}/{action}", headers=world.admin)

    return call


AREA = {"code": "audit_area", "name": "Audit area", "category": "small"}
CONDITION = {"code": "audit_condition", "name": "Audit condition", "kind": "caution"}
DEVICE = {"code": "audit_device", "name": "Audit device"}
TEMPLATE = {
    "code": "audit_template",
    "name": "Audit template",
    "indication": "fine lines",
    "areas": ["full_face"],
    "sessions_planned": 3,
    "interval_min_days": 28,
    "interval_max_days": 42,
    "numbing": True,
}

CASES: dict[str, Case] = {
    "createLocation": Case(
        _nothing,
        lambda w, _: w.client.post(
            "/v1/locations", json={"name": "L", "time_zone": "Europe/Berlin"}, headers=w.admin
        ),
        "location",
    ),
    "updateLocation": Case(
        _nothing,
        lambda w, _: w.client.patch(
            f"/v1/locations/{w.clinic.location_id}", json={"name": "M"}, headers=w.match()
        ),
        "location",
    ),
    "createRoom": Case(
        _nothing,
        lambda w, _: w.client.post(
            "/v1/rooms", json={"location_id": w.clinic.location_id, "name": "R"}, headers=w.admin
        ),
        "room",
    ),
    "updateRoom": Case(
        _nothing,
        lambda w, _: w.client.patch(
            f"/v1/rooms/{w.clinic.room_ids[0]}", json={"name": "S"}, headers=w.match()
        ),
        "room",
    ),
    "createProvider": Case(
        _nothing,
        lambda w, _: w.client.post(
            "/v1/providers", json={"name": "P", "profession": "nurse"}, headers=w.admin
        ),
        "provider",
    ),
    "updateProvider": Case(
        _nothing,
        lambda w, _: w.client.patch(
            f"/v1/providers/{w.clinic.provider_ids[0]}", json={"name": "Q"}, headers=w.match()
        ),
        "provider",
    ),
    "replaceWorkingPlan": Case(
        _nothing,
        lambda w, _: w.client.put(
            f"/v1/providers/{w.clinic.provider_ids[0]}/working-plan",
            json={
                "intervals": [
                    {
                        "location_id": w.clinic.location_id,
                        "weekday": "monday",
                        "start_time": "09:00",
                        "end_time": "17:00",
                    }
                ]
            },
            headers=w.admin,
        ),
        "provider",
    ),
    "createProviderException": Case(
        _nothing,
        lambda w, _: w.client.post(
            f"/v1/providers/{w.clinic.provider_ids[0]}/exceptions",
            json={
                "kind": "time_off",
                "starts_at": local(future_day(30), "00:00"),
                "ends_at": local(future_day(31), "00:00"),
            },
            headers=w.admin,
        ),
        "provider_exception",
    ),
    "deleteProviderException": Case(
        lambda w: w.created(
            f"/v1/providers/{w.clinic.provider_ids[0]}/exceptions",
            {
                "kind": "time_off",
                "starts_at": local(future_day(30), "00:00"),
                "ends_at": local(future_day(31), "00:00"),
            },
        )["id"],
        lambda w, exception_id: w.client.delete(
            f"/v1/providers/{w.clinic.provider_ids[0]}/exceptions/{exception_id}",
            headers=w.admin,
        ),
        "provider_exception",
    ),
    "createClient": Case(
        _nothing,
        lambda w, _: w.client.post(
            "/v1/clients",
            json={
                "first_name": "A",
                "last_name": "B",
                "date_of_birth": "1990-01-01",
                "email": "a@example.org",
            },
            headers=w.clinician,
        ),
        "client",
    ),
    "updateClient": Case(
        lambda w: w.person(),
        lambda w, client_id: w.client.patch(
            f"/v1/clients/{client_id}", json={"first_name": "C"}, headers=w.match()
        ),
        "client",
    ),
    "createScreeningCondition": Case(
        _nothing,
        lambda w, _: w.client.post("/v1/screening-conditions", json=CONDITION, headers=w.admin),
        "screening_condition",
    ),
    "updateScreeningCondition": Case(
        lambda w: w.created("/v1/screening-conditions", CONDITION),
        lambda w, _: w.client.patch(
            f"/v1/screening-conditions/{CONDITION['code']}",
            json={"name": "Renamed"},
            headers=w.match(),
        ),
        "screening_condition",
    ),
    "createScreening": Case(
        lambda w: make_client(w.client, w.clinician, screened=False),
        lambda w, client_id: w.client.post(
            f"/v1/clients/{client_id}/screenings",
            json={"screened_on": future_day(0).isoformat(), "conditions": []},
            headers=w.clinician,
        ),
        "screening",
    ),
    "createEligibilityOverride": Case(
        lambda w: w.person(),
        lambda w, client_id: w.client.post(
            f"/v1/clients/{client_id}/eligibility-overrides",
            json={
                "reason": "Cleared by the client's physician.",
                "codes": ["blood_clotting_disorder"],
                "expires_on": future_day(30).isoformat(),
            },
            headers=w.clinician,
        ),
        "eligibility_override",
    ),
    "createConditionRetraction": Case(
        lambda w: make_client(w.client, w.clinician, conditions=("keloid_history",)),
        lambda w, client_id: w.client.post(
            f"/v1/clients/{client_id}/condition-retractions",
            json={"code": "keloid_history", "reason": "mis-recorded"},
            headers=w.clinician,
        ),
        "condition_retraction",
    ),
    "createTreatmentArea": Case(
        _nothing,
        lambda w, _: w.client.post(
            "/v1/treatment-areas",
            json={**AREA, "min_minutes": 15, "max_minutes": 20},
            headers=w.admin,
        ),
        "treatment_area",
    ),
    "updateTreatmentArea": Case(
        lambda w: w.created("/v1/treatment-areas", {**AREA, "min_minutes": 15, "max_minutes": 20}),
        lambda w, _: w.client.patch(
            f"/v1/treatment-areas/{AREA['code']}", json={"name": "Renamed"}, headers=w.match()
        ),
        "treatment_area",
    ),
    "createCourseTemplate": Case(
        _nothing,
        lambda w, _: w.client.post("/v1/course-templates", json=TEMPLATE, headers=w.admin),
        "course_template",
    ),
    "updateCourseTemplate": Case(
        lambda w: w.created("/v1/course-templates", TEMPLATE),
        lambda w, _: w.client.patch(
            f"/v1/course-templates/{TEMPLATE['code']}", json={"active": False}, headers=w.match()
        ),
        "course_template",
    ),
    "createDevice": Case(
        _nothing,
        lambda w, _: w.client.post("/v1/devices", json=DEVICE, headers=w.admin),
        "device",
    ),
    "updateDevice": Case(
        lambda w: w.created("/v1/devices", DEVICE),
        lambda w, _: w.client.patch(
            f"/v1/devices/{DEVICE['code']}", json={"name": "Renamed"}, headers=w.match()
        ),
        "device",
    ),
    # A quote computes; it changes nothing.
    "quoteDuration": Case(
        _nothing,
        lambda w, _: w.client.post(
            "/v1/duration-quotes", json={"areas": ["full_face"]}, headers=w.admin
        ),
        None,
    ),
    "createSession": Case(
        lambda w: w.person(),
        lambda w, client_id: w.client.post(
            "/v1/sessions",
            json=booking(w.clinic, client_id, local(future_day(10), "10:00")),
            headers=w.clinician,
        ),
        "session",
    ),
    "rescheduleSession": Case(
        lambda w: w.session(),
        lambda w, session: w.client.patch(
            f"/v1/sessions/{session['id']}",
            json={"starts_at": local(future_day(11), "11:00")},
            headers=w.match(),
        ),
        "session",
    ),
    "arriveSession": Case(_rescreened, _at_treatment("arrive"), "session"),
    "completeSession": Case(_arrived, _at_treatment("complete"), "session"),
    "cancelSession": Case(lambda w: w.session(), _session_action("cancel"), "session"),
    "markSessionNoShow": Case(lambda w: w.session(), _at_treatment("no-show"), "session"),
    "markSessionEnteredInError": Case(
        lambda w: w.session(), _session_action("entered-in-error"), "session"
    ),
    "createTreatmentPlan": Case(
        lambda w: w.person(),
        lambda w, client_id: w.client.post(
            "/v1/treatment-plans",
            json={
                "client_id": client_id,
                "location_id": w.clinic.location_id,
                "areas": ["full_face"],
                "numbing": False,
            },
            headers=w.clinician,
        ),
        "treatment_plan",
    ),
    "updateTreatmentPlan": Case(
        lambda w: w.plan(),
        lambda w, plan: w.client.patch(
            f"/v1/treatment-plans/{plan['id']}", json={"notes": "n"}, headers=w.match()
        ),
        "treatment_plan",
    ),
    "cancelTreatmentPlan": Case(
        lambda w: w.plan(),
        lambda w, plan: w.client.post(
            f"/v1/treatment-plans/{plan['id']}/cancel", headers=w.match()
        ),
        "treatment_plan",
    ),
    # Booking a course books one session per remaining session of the plan: one record each.
    "proposeCourse": Case(
        lambda w: w.plan(sessions_planned=2),
        lambda w, plan: w.client.post(
            f"/v1/treatment-plans/{plan['id']}/course-proposal",
            json={"from": local(future_day(10), "10:00"), "book": True},
            headers=w.clinician,
        ),
        "session",
        many=True,
    ),
    "createHold": Case(
        lambda w: w.person(),
        lambda w, client_id: w.client.post(
            "/v1/holds",
            json=booking(w.clinic, client_id, local(future_day(10), "10:00")),
            headers=w.admin,
        ),
        "hold",
    ),
    "releaseHold": Case(
        lambda w: w.created(
            "/v1/holds", booking(w.clinic, w.person(), local(future_day(10), "10:00"))
        ),
        lambda w, hold: w.client.delete(f"/v1/holds/{hold['id']}", headers=w.admin),
        "hold",
    ),
    "createApiKey": Case(
        _nothing,
        lambda w, _: w.client.post(
            "/v1/api-keys", json={"name": "desk", "role": "front_desk"}, headers=w.admin
        ),
        "api_key",
    ),
    "revokeApiKey": Case(
        lambda w: w.created("/v1/api-keys", {"name": "desk", "role": "front_desk"}),
        lambda w, key: w.client.delete(f"/v1/api-keys/{key['id']}", headers=w.admin),
        "api_key",
    ),
    "createWebhookEndpoint": Case(
        _nothing,
        lambda w, _: w.client.post("/v1/webhook-endpoints", json=_HOOK, headers=w.admin),
        "webhook_endpoint",
    ),
    "updateWebhookEndpoint": Case(
        lambda w: w.created("/v1/webhook-endpoints", _HOOK),
        lambda w, hook: w.client.patch(
            f"/v1/webhook-endpoints/{hook['id']}", json={"enabled": False}, headers=w.match()
        ),
        "webhook_endpoint",
    ),
    "deleteWebhookEndpoint": Case(
        lambda w: w.created("/v1/webhook-endpoints", _HOOK),
        lambda w, hook: w.client.delete(f"/v1/webhook-endpoints/{hook['id']}", headers=w.admin),
        "webhook_endpoint",
    ),
    "rotateWebhookSecret": Case(
        lambda w: w.created("/v1/webhook-endpoints", _HOOK),
        lambda w, hook: w.client.post(
            f"/v1/webhook-endpoints/{hook['id']}/rotate-secret", headers=w.admin
        ),
        "webhook_endpoint",
    ),
    "testWebhookEndpoint": Case(
        lambda w: w.created("/v1/webhook-endpoints", _HOOK),
        lambda w, hook: w.client.post(f"/v1/webhook-endpoints/{hook['id']}/test", headers=w.admin),
        "webhook_endpoint",
    ),
    "retryWebhookDelivery": Case(
        lambda w: _delivery(w),
        lambda w, ids: w.client.post(
            f"/v1/webhook-endpoints/{ids[0]}/deliveries/{ids[1]}/retry", headers=w.admin
        ),
        "webhook_delivery",
    ),
    "createCalendarFeed": Case(
        _nothing,
        lambda w, _: w.client.post(
            "/v1/calendar-feeds",
            json={"scope": "room", "id": w.clinic.room_ids[0]},
            headers=w.admin,
        ),
        "calendar_feed",
    ),
    "deleteCalendarFeed": Case(
        lambda w: w.created(
            "/v1/calendar-feeds", {"scope": "provider", "id": w.clinic.provider_ids[0]}
        ),
        lambda w, feed: w.client.delete(f"/v1/calendar-feeds/{feed['id']}", headers=w.admin),
        "calendar_feed",
    ),
    "createCareNotice": Case(
        _nothing,
        lambda w, _: w.client.post("/v1/care-notices", json=_NOTICE, headers=w.admin),
        "care_notice",
    ),
    "updateCareNotice": Case(
        lambda w: w.created("/v1/care-notices", _NOTICE),
        lambda w, _: w.client.patch(
            f"/v1/care-notices/{_NOTICE['code']}", json={"active": False}, headers=w.match()
        ),
        "care_notice",
    ),
}


def _mutating_operations(app: FastAPI) -> set[str]:
    return {
        operation["operationId"]
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
        if method in MUTATING
    }


def test_every_mutating_operation_has_a_case(app: FastAPI) -> None:
    assert set(CASES) == _mutating_operations(app)


def _audit_ids(database: RollbackDatabase) -> set[str]:
    with database.transaction() as db:
        return set(db.exec(select(AuditEvent.id)).all())


@pytest.mark.parametrize("operation_id", sorted(CASES))
def test_each_mutation_writes_its_audit_record(
    operation_id: str,
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    case = CASES[operation_id]
    world = World(client, admin, clinician, make_clinic(client, admin, providers=1))
    prepared = case.setup(world)
    before = _audit_ids(database)
    response = case.call(world, prepared)
    assert 200 <= response.status_code < 300, response.text
    with database.transaction() as db:
        written = [row for row in db.exec(select(AuditEvent)).all() if row.id not in before]
    if case.resource is None:
        assert written == []
        return
    if case.many:
        assert len(written) >= 1
    else:
        assert len(written) == 1, [(row.action, row.resource) for row in written]
    assert {row.resource for row in written} == {case.resource}
    if response.status_code != 204 and isinstance(response.json(), dict):
        body = response.json()
        named = body.get("id") or body.get("code")
        if named is not None and not case.many:
            assert {row.resource_id for row in written} == {named}
