"""The FHIR R4 read facade: every resource and Bundle it answers is validated with the
``fhir.resources`` R4B models (a validator we did not write); roles and OperationOutcomes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot
from sqlmodel import select

from needleplan.models import TreatmentArea
from tests.conftest import Headers, RollbackDatabase
from tests.factories import Clinic, booked, booking, future_day, local, make_client, make_clinic

BASE = "/fhir/R4"
FHIR_JSON = "application/fhir+json"
MODELS: dict[str, Any] = {
    "Appointment": Appointment,
    "Bundle": Bundle,
    "CapabilityStatement": CapabilityStatement,
    "CarePlan": CarePlan,
    "Location": Location,
    "OperationOutcome": OperationOutcome,
    "Patient": Patient,
    "Practitioner": Practitioner,
    "Schedule": Schedule,
    "Slot": Slot,
}


def fhir(client: TestClient, headers: Headers, path: str, status: int = 200) -> dict[str, Any]:
    """GET a facade path; the answer's status, media type and R4B validity are checked, and
    so is every resource of a Bundle."""
    response = client.get(f"{BASE}/{path}", headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    document: dict[str, Any] = response.json()
    MODELS[document["resourceType"]].model_validate(document)
    for entry in document.get("entry", []):
        MODELS[entry["resource"]["resourceType"]].model_validate(entry["resource"])
    return document


def issue_code(document: dict[str, Any]) -> str:
    assert document["resourceType"] == "OperationOutcome"
    code: str = document["issue"][0]["code"]
    return code


@pytest.fixture
def clinic(client: TestClient, admin: Headers) -> Clinic:
    return make_clinic(client, admin, rooms=2, providers=2)


@pytest.fixture
def course(client: TestClient, clinician: Headers, clinic: Clinic) -> dict[str, Any]:
    """A client with a plan and three sessions: the plan's first, a cancelled one, another."""
    client_id = make_client(client, clinician, name="Ada")
    plan = client.post(
        "/v1/treatment-plans",
        json={
            "client_id": client_id,
            "location_id": clinic.location_id,
            "areas": ["full_face"],
            "numbing": False,
        },
        headers=clinician,
    )
    assert plan.status_code == 201, plan.text
    day = future_day(10)
    first = booked(
        client,
        clinician,
        booking(clinic, client_id, local(day, "09:00"), plan_id=plan.json()["id"]),
    )
    cancelled = booked(client, clinician, booking(clinic, client_id, local(day, "11:00"), room=1))
    answer = client.post(
        f"/v1/sessions/{cancelled['id']}/cancel",
        json={"reason": "Client has a cold"},
        headers=clinician,
    )
    assert answer.status_code == 200, answer.text
    other = booked(
        client, clinician, booking(clinic, client_id, local(day, "14:00"), provider=1, room=1)
    )
    return {
        "client_id": client_id,
        "plan_id": plan.json()["id"],
        "day": day,
        "sessions": [first, cancelled, other],
    }


def test_metadata_lists_what_is_served(client: TestClient, integration: Headers) -> None:
    statement = fhir(client, integration, "metadata")
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(served) == {
        "Appointment",
        "Patient",
        "Practitioner",
        "Location",
        "Schedule",
        "Slot",
        "CarePlan",
    }
    assert {p["name"] for p in served["Appointment"]["searchParam"]} == {
        "date",
        "practitioner",
        "location",
        "patient",
        "status",
        "_count",
    }
    assert statement["format"] == [FHIR_JSON]
    # Exactly what is served: each search's query parameters, as the OpenAPI document has them.
    paths = client.get("/openapi.json").json()["paths"]
    for kind, resource in served.items():
        operation = paths.get(f"{BASE}/{kind}", {}).get("get", {})
        queried = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        listed = {p["name"] for p in resource.get("searchParam", [])}
        assert queried - {"_cursor"} == listed, kind
    slot_params = {p["name"]: p for p in served["Slot"]["searchParam"]}
    assert set(slot_params) == {"schedule", "start", "service-type", "location"}
    assert "Without it, the shortest session" in slot_params["service-type"]["documentation"]


def test_an_appointment_shows_the_session(
    client: TestClient, front_desk: Headers, clinic: Clinic, course: dict[str, Any]
) -> None:
    first, cancelled, _ = course["sessions"]
    appointment = fhir(client, front_desk, f"Appointment/{first['id']}")
    assert appointment["id"] == first["id"]
    assert appointment["status"] == "booked"
    assert appointment["minutesDuration"] > 0
    assert appointment["serviceType"][0]["coding"][0]["code"] == "full_face"
    assert appointment["reasonCode"][0]["coding"][0]["code"] == "full_face"
    assert appointment["basedOn"] == [
        {"reference": f"CarePlan/{course['plan_id']}", "type": "CarePlan"}
    ]
    actors = {p["actor"]["type"]: p["actor"] for p in appointment["participant"]}
    assert actors["Patient"]["reference"] == f"Patient/{course['client_id']}"
    assert actors["Patient"]["display"] == "Ada Test"
    assert actors["Practitioner"]["reference"] == f"Practitioner/{clinic.provider_ids[0]}"
    assert actors["Location"]["reference"] == f"Location/{clinic.room_ids[0]}"

    called_off = fhir(client, front_desk, f"Appointment/{cancelled['id']}")
    assert called_off["status"] == "cancelled"
    assert called_off["cancelationReason"] == {"text": "Client has a cold"}
    assert "basedOn" not in called_off

    room = fhir(client, front_desk, actors["Location"]["reference"])
    assert room["partOf"]["reference"] == f"Location/{clinic.location_id}"
    site = fhir(client, front_desk, room["partOf"]["reference"])
    assert "partOf" not in site
    fhir(client, front_desk, actors["Practitioner"]["reference"])
    patient = fhir(client, front_desk, actors["Patient"]["reference"])
    assert patient["name"][0]["family"] == "Test"
    plan = fhir(client, front_desk, f"CarePlan/{course['plan_id']}")
    assert plan["subject"] == {
        "reference": f"Patient/{course['client_id']}",
        "type": "Patient",
        "display": "Ada Test",
    }


def test_search_filters_combine(
    client: TestClient, clinician: Headers, clinic: Clinic, course: dict[str, Any]
) -> None:
    first, cancelled, other = course["sessions"]
    day = course["day"]
    window = f"date=ge{day.isoformat()}&date=lt{(day + timedelta(days=1)).isoformat()}"

    def ids(query: str) -> list[str]:
        bundle = fhir(client, clinician, f"Appointment?{query}")
        assert bundle["type"] == "searchset"
        assert bundle["link"][0]["relation"] == "self"
        return [e["resource"]["id"] for e in bundle.get("entry", [])]

    assert ids(window) == [first["id"], cancelled["id"], other["id"]]
    assert ids(f"{window}&status=cancelled") == [cancelled["id"]]
    assert ids(f"practitioner=Practitioner/{clinic.provider_ids[1]}") == [other["id"]]
    assert ids(f"location={clinic.room_ids[1]}") == [cancelled["id"], other["id"]]
    assert ids(f"location=Location/{clinic.location_id}&patient=Patient/{course['client_id']}") == [
        first["id"],
        cancelled["id"],
        other["id"],
    ]
    later = local(day, "10:00").replace("+", "%2B")
    assert ids(f"date=ge{later}") == [cancelled["id"], other["id"]]


def test_an_empty_search_is_an_empty_bundle(
    client: TestClient, integration: Headers, course: dict[str, Any]
) -> None:
    bundle = fhir(client, integration, "Appointment?date=lt2000-01-01")
    assert bundle.get("entry", []) == []
    assert [link["relation"] for link in bundle["link"]] == ["self"]


def test_a_paged_search_follows_next_links(
    client: TestClient, front_desk: Headers, course: dict[str, Any]
) -> None:
    seen: list[str] = []
    path = f"Appointment?patient={course['client_id']}&_count=2"
    pages = 0
    while path:
        bundle = fhir(client, front_desk, path)
        pages += 1
        seen += [e["resource"]["id"] for e in bundle.get("entry", [])]
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        path = following[0].split(f"{BASE}/", 1)[1] if following else ""
    assert pages == 2
    assert seen == [s["id"] for s in course["sessions"]]


def test_other_searches(client: TestClient, integration: Headers, clinic: Clinic) -> None:
    practitioners = fhir(client, integration, "Practitioner?_count=1")
    assert len(practitioners["entry"]) == 1
    assert any(link["relation"] == "next" for link in practitioners["link"])
    locations = fhir(client, integration, "Location")
    assert {e["resource"]["id"] for e in locations["entry"]} >= {
        clinic.location_id,
        *clinic.room_ids,
    }
    provider = clinic.provider_ids[0]
    schedules = fhir(client, integration, f"Schedule?actor=Practitioner/{provider}")
    assert [e["resource"]["id"] for e in schedules["entry"]] == [provider]
    assert fhir(client, integration, f"Schedule/{provider}")["actor"][0]["reference"] == (
        f"Practitioner/{provider}"
    )
    fhir(client, integration, "Schedule")


def test_slots_come_from_availability(
    client: TestClient, integration: Headers, clinic: Clinic, course: dict[str, Any]
) -> None:
    provider = clinic.provider_ids[0]
    day = course["day"]
    query = (
        f"schedule=Schedule/{provider}&service-type=full_face"
        f"&start=ge{day.isoformat()}&start=lt{(day + timedelta(days=1)).isoformat()}"
    )
    bundle = fhir(client, integration, f"Slot?{query}")
    slots = [e["resource"] for e in bundle["entry"]]
    assert slots
    assert all(s["status"] == "free" for s in slots)
    assert {s["schedule"]["reference"] for s in slots} == {f"Schedule/{provider}"}
    availability = client.get(
        "/v1/availability",
        params={
            "areas": "full_face",
            "from": f"{day.isoformat()}T00:00:00Z",
            "to": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
            "provider_id": provider,
        },
        headers=integration,
    ).json()
    assert len(slots) == len({s["starts_at"] for s in availability["slots"]})
    booked_start = course["sessions"][0]["starts_at"]
    assert all(s["start"] != booked_start for s in slots)


def _slot_starts(
    client: TestClient, headers: Headers, provider: str, day: Any, areas: str
) -> set[str]:
    """The starts GET /v1/availability offers the provider on ``day`` for ``areas``."""
    answer = client.get(
        "/v1/availability",
        params={
            "areas": areas,
            "from": f"{day.isoformat()}T00:00:00Z",
            "to": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
            "provider_id": provider,
        },
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    return {s["starts_at"] for s in answer.json()["slots"]}


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("schedule", ["Schedule/{id}", "{id}"])
def test_the_issues_slot_search_needs_no_service_type(
    client: TestClient,
    integration: Headers,
    clinic: Clinic,
    course: dict[str, Any],
    schedule: str,
) -> None:
    # Issue 14's example, `Slot?schedule=...&start=ge...&start=lt...`: no service-type, so the
    # shortest session there is, the shipped catalogue's `lips` (15 minutes; under-eye too,
    # and lips comes first).
    provider = clinic.provider_ids[0]
    day = course["day"]
    query = (
        f"schedule={schedule.format(id=provider)}"
        f"&start=ge{day.isoformat()}&start=lt{(day + timedelta(days=1)).isoformat()}"
    )
    bundle = fhir(client, integration, f"Slot?{query}")
    assert bundle["type"] == "searchset"
    (self_link,) = bundle["link"]
    assert self_link["relation"] == "self"
    assert self_link["url"].endswith(f"/fhir/R4/Slot?{query.replace('/', '%2F')}&service-type=lips")
    slots = [e["resource"] for e in bundle["entry"]]
    assert slots
    for slot in slots:
        assert slot["status"] == "free"
        assert slot["schedule"]["reference"] == f"Schedule/{provider}"
        assert slot["serviceType"][0]["coding"][0]["code"] == "lips"
        assert _instant(slot["end"]) - _instant(slot["start"]) == timedelta(minutes=15)
    starts = [_instant(s["start"]) for s in slots]
    shortest = _slot_starts(client, integration, provider, day, "lips")
    assert set(starts) == {_instant(s) for s in shortest}
    # The shortest session fits wherever a longer one does: a named service type finds a subset.
    longer = fhir(client, integration, f"Slot?{query}&service-type=full_face")
    assert longer["link"][0]["url"].endswith("&service-type=full_face")
    longer_starts = {_instant(e["resource"]["start"]) for e in longer["entry"]}
    assert longer_starts
    assert longer_starts < set(starts)
    for entry in longer["entry"]:
        assert entry["resource"]["serviceType"][0]["coding"][0]["code"] == "full_face"
    # The booked session's start is taken whatever the service type.
    booked_start = _instant(course["sessions"][0]["starts_at"])
    assert booked_start not in starts


def test_the_default_service_type_follows_the_catalogue(
    client: TestClient, admin: Headers, integration: Headers, clinic: Clinic
) -> None:
    created = client.post(
        "/v1/treatment-areas",
        json={
            "code": "brows",
            "name": "Brows",
            "category": "small",
            "min_minutes": 5,
            "max_minutes": 10,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    day = future_day(3)
    bundle = fhir(
        client,
        integration,
        f"Slot?schedule=Schedule/{clinic.provider_ids[0]}"
        f"&start=ge{day.isoformat()}&start=lt{(day + timedelta(days=1)).isoformat()}",
    )
    assert bundle["link"][0]["url"].endswith("&service-type=brows")
    for entry in bundle["entry"]:
        slot = entry["resource"]
        assert slot["serviceType"][0]["coding"][0] == {
            "system": "urn:needleplan:treatment-area",
            "code": "brows",
            "display": "Brows",
        }
        # 7.5 minutes at standard intensity, rounded up to the 5-minute grid.
        assert _instant(slot["end"]) - _instant(slot["start"]) == timedelta(minutes=10)


def test_an_empty_catalogue_offers_no_slots(
    client: TestClient, integration: Headers, clinic: Clinic, database: RollbackDatabase
) -> None:
    with database.transaction() as db:
        for area in db.exec(select(TreatmentArea)).all():
            db.delete(area)
    day = future_day(3)
    bundle = fhir(
        client,
        integration,
        f"Slot?schedule={clinic.provider_ids[0]}"
        f"&start=ge{day.isoformat()}&start=lt{(day + timedelta(days=1)).isoformat()}",
    )
    assert bundle.get("entry", []) == []


def test_integration_keys_see_no_patients(
    client: TestClient, integration: Headers, course: dict[str, Any]
) -> None:
    refused = fhir(client, integration, f"Patient/{course['client_id']}", status=403)
    assert issue_code(refused) == "forbidden"
    appointment = fhir(client, integration, f"Appointment/{course['sessions'][0]['id']}")
    patient = next(
        p["actor"] for p in appointment["participant"] if p["actor"]["type"] == "Patient"
    )
    assert patient == {"reference": f"Patient/{course['client_id']}", "type": "Patient"}
    bundle = fhir(client, integration, f"Appointment?patient={course['client_id']}")
    for entry in bundle["entry"]:
        assert all(
            "display" not in p["actor"]
            for p in entry["resource"]["participant"]
            if p["actor"]["type"] == "Patient"
        )
    plan = fhir(client, integration, f"CarePlan/{course['plan_id']}")
    assert "display" not in plan["subject"]


def test_errors_are_operation_outcomes(client: TestClient, clinician: Headers) -> None:
    for path in (
        "Appointment/nope",
        "Patient/nope",
        "Practitioner/nope",
        "Location/nope",
        "Schedule/nope",
        "CarePlan/nope",
        "Nothing/here",
    ):
        assert issue_code(fhir(client, clinician, path, status=404)) == "not-found"
    for query in (
        "Appointment?status=tentative",
        "Appointment?date=gt2026-01-01",
        "Appointment?date=ge2026-02-30",
        "Appointment?_count=0",
        "Appointment?_cursor=bad",
        "Appointment?color=red",
        "Slot?schedule=x&service-type=full_face",
    ):
        assert issue_code(fhir(client, clinician, query, status=400)) == "invalid", query
    unauthenticated = client.get(f"{BASE}/metadata")
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["content-type"].startswith(FHIR_JSON)
    assert issue_code(unauthenticated.json()) == "login"
    OperationOutcome.model_validate(unauthenticated.json())
    # /v1 keeps its problem+json.
    assert (
        client.get("/v1/sessions/nope", headers=clinician)
        .headers["content-type"]
        .startswith("application/problem+json")
    )
