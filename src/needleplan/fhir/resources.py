"""needleplan rows as FHIR R4 resources (plain JSON dicts; tests validate them with the
``fhir.resources`` R4B models)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from needleplan.kit.statuses import PlanStatus
from needleplan.models import (
    Client,
    Location,
    Provider,
    Room,
    TreatmentPlan,
    TreatmentSession,
)

AREA_SYSTEM = "urn:needleplan:treatment-area"
PHYSICAL_TYPES = "http://terminology.hl7.org/CodeSystem/location-physical-type"
# needleplan's plan statuses are FHIR's RequestStatus, except that a cancelled plan is revoked.
CARE_PLAN_STATUS = {
    PlanStatus.draft: "draft",
    PlanStatus.active: "active",
    PlanStatus.completed: "completed",
    PlanStatus.cancelled: "revoked",
}

Json = dict[str, Any]


def instant(value: datetime) -> str:
    """A FHIR instant: UTC, to the second, with ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reference(kind: str, resource_id: str, display: str | None = None) -> Json:
    ref: Json = {"reference": f"{kind}/{resource_id}", "type": kind}
    if display:
        ref["display"] = display
    return ref


def patient_name(person: Client) -> str:
    return f"{person.first_name} {person.last_name}"


def _areas(codes: list[str], names: dict[str, str]) -> list[Json]:
    return [
        {
            "coding": [{"system": AREA_SYSTEM, "code": code, "display": names.get(code, code)}],
            "text": names.get(code, code),
        }
        for code in codes
    ]


def appointment(
    session: TreatmentSession,
    *,
    area_names: dict[str, str],
    patient_display: str | None,
    practitioner_display: str | None,
    room_display: str | None,
) -> Json:
    """A session as an Appointment; ``patient_display`` is None for a caller who may not read
    clients."""
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    resource: Json = {
        "resourceType": "Appointment",
        "id": session.id,
        "meta": {"versionId": str(session.version)},
        "status": session.status.value,
        "serviceType": _areas(session.areas, area_names),
        "reasonCode": _areas(session.areas, area_names),
        "start": instant(session.starts_at),
        "end": instant(session.ends_at),
        "minutesDuration": minutes,
        "created": instant(session.created_at),
        "participant": [
            {
                "actor": reference("Patient", session.client_id, patient_display),
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": reference("Practitioner", session.provider_id, practitioner_display),
                "required": "required",
                "status": "accepted",
            },
            {
                "actor": reference("Location", session.room_id, room_display),
                "required": "required",
                "status": "accepted",
            },
        ],
    }
    if session.status.value == "cancelled" and session.cancel_reason:
        resource["cancelationReason"] = {"text": session.cancel_reason}
    if session.plan_id is not None:
        resource["basedOn"] = [reference("CarePlan", session.plan_id)]
    return resource


def patient(person: Client) -> Json:
    resource: Json = {
        "resourceType": "Patient",
        "id": person.id,
        "meta": {"versionId": str(person.version)},
        "active": True,
        "name": [
            {"text": patient_name(person), "family": person.last_name, "given": [person.first_name]}
        ],
        "birthDate": person.date_of_birth.isoformat(),
    }
    telecom = [
        {"system": system, "value": value}
        for system, value in (("email", person.email), ("phone", person.phone))
        if value
    ]
    if telecom:
        resource["telecom"] = telecom
    return resource


def practitioner(provider: Provider) -> Json:
    return {
        "resourceType": "Practitioner",
        "id": provider.id,
        "meta": {"versionId": str(provider.version)},
        "active": provider.active,
        "name": [{"text": provider.name}],
        "qualification": [{"code": {"text": provider.profession}}],
    }


def clinic(location: Location) -> Json:
    return {
        "resourceType": "Location",
        "id": location.id,
        "meta": {"versionId": str(location.version)},
        "status": "active",
        "name": location.name,
        "description": f"Time zone {location.time_zone}",
        "mode": "instance",
        "physicalType": {
            "coding": [{"system": PHYSICAL_TYPES, "code": "si", "display": "Site"}],
        },
    }


def room(row: Room) -> Json:
    return {
        "resourceType": "Location",
        "id": row.id,
        "meta": {"versionId": str(row.version)},
        "status": "active" if row.active else "inactive",
        "name": row.name,
        "mode": "instance",
        "physicalType": {
            "coding": [{"system": PHYSICAL_TYPES, "code": "ro", "display": "Room"}],
        },
        "partOf": reference("Location", row.location_id),
    }


def schedule(provider: Provider) -> Json:
    """One Schedule per provider, with the provider's id."""
    return {
        "resourceType": "Schedule",
        "id": provider.id,
        "active": provider.active,
        "actor": [reference("Practitioner", provider.id, provider.name)],
        "comment": "The provider's working time; its free Slots are searched by start.",
    }


def slot(
    provider_id: str,
    start: datetime,
    end: datetime,
    *,
    areas: list[str],
    area_names: dict[str, str],
) -> Json:
    """A free start as a Slot; ``serviceType`` names the areas it was searched for, which is
    what its length is (the client's stay)."""
    return {
        "resourceType": "Slot",
        "id": f"{provider_id}.{start.astimezone(UTC):%Y%m%d%H%M}",
        "schedule": reference("Schedule", provider_id),
        "serviceType": _areas(areas, area_names),
        "status": "free",
        "start": instant(start),
        "end": instant(end),
    }


def care_plan(
    plan: TreatmentPlan, *, area_names: dict[str, str], patient_display: str | None
) -> Json:
    areas = ", ".join(area_names.get(code, code) for code in plan.areas)
    resource: Json = {
        "resourceType": "CarePlan",
        "id": plan.id,
        "meta": {"versionId": str(plan.version)},
        "status": CARE_PLAN_STATUS[plan.status],
        "intent": "plan",
        "title": f"Micro-needling course: {areas}",
        "description": (
            f"{plan.sessions_planned} sessions, {plan.min_interval_days}-"
            f"{plan.max_interval_days} days apart"
        ),
        "subject": reference("Patient", plan.client_id, patient_display),
        "created": instant(plan.created_at),
    }
    if plan.provider_id is not None:
        resource["author"] = reference("Practitioner", plan.provider_id)
    return resource


def searchset(entries: list[Json], base: str, self_url: str, next_url: str | None) -> Json:
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{entry['resourceType']}/{entry['id']}",
                "resource": entry,
                "search": {"mode": "match"},
            }
            for entry in entries
        ],
    }
