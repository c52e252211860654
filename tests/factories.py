"""Keyword-only factories that build a clinic through the HTTP API, as an integrator would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session

from needleplan.models import Client, Location, Provider, Room
from tests.clock import at
from tests.conftest import Headers

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True)
class Clinic:
    location_id: str
    room_ids: list[str]
    provider_ids: list[str]


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def make_clinic(
    client: TestClient,
    admin: Headers,
    *,
    rooms: int = 3,
    providers: int = 1,
    opens: str = "08:00",
    closes: str = "20:00",
    days: list[str] | None = None,
    time_zone: str = "Europe/Berlin",
) -> Clinic:
    location = _created(
        client.post("/v1/locations", json={"name": "Clinic", "time_zone": time_zone}, headers=admin)
    )
    room_ids = [
        _created(
            client.post(
                "/v1/rooms",
                json={"location_id": location["id"], "name": f"Room {i + 1}"},
                headers=admin,
            )
        )["id"]
        for i in range(rooms)
    ]
    provider_ids = []
    for i in range(providers):
        provider = _created(
            client.post(
                "/v1/providers",
                json={"name": f"Provider {i + 1}", "profession": "nurse"},
                headers=admin,
            )
        )
        plan = {
            "intervals": [
                {
                    "location_id": location["id"],
                    "weekday": day,
                    "start_time": opens,
                    "end_time": closes,
                }
                for day in (days or WEEK)
            ]
        }
        response = client.put(
            f"/v1/providers/{provider['id']}/working-plan", json=plan, headers=admin
        )
        assert response.status_code == 200, response.text
        provider_ids.append(provider["id"])
    return Clinic(location["id"], room_ids, provider_ids)


def make_client(
    client: TestClient,
    clinician: Headers,
    *,
    name: str = "Client",
    born: str = "1990-01-01",
    conditions: tuple[str, ...] = (),
    screened_on: date | None = None,
    screened: bool = True,
    numbing_preference: str | None = "never",
) -> str:
    """A client, screened today unless told otherwise. Their ``numbing_preference`` is
    ``never`` (a booking or plan that leaves ``numbing`` out numbs nothing, as before clients
    had one); a test of ``ask`` says so, and ``None`` leaves it to the API's default, ``ask``."""
    body = {
        "first_name": name,
        "last_name": "Test",
        "date_of_birth": born,
        "email": f"{name.lower()}@example.org",
    }
    if numbing_preference is not None:
        body["numbing_preference"] = numbing_preference
    client_id: str = _created(client.post("/v1/clients", json=body, headers=clinician))["id"]
    if screened:
        screening = {
            "screened_on": (screened_on or datetime.now(ZoneInfo("UTC")).date()).isoformat(),
            "conditions": list(conditions),
        }
        _created(
            client.post(f"/v1/clients/{client_id}/screenings", json=screening, headers=clinician)
        )
    return client_id


def local(day: date, wall: str, zone: ZoneInfo = BERLIN) -> str:
    """An RFC 3339 instant for a local wall time, as a front desk would send it."""
    hours, minutes = (int(part) for part in wall.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=zone).isoformat()


def future_day(days_ahead: int = 10) -> date:
    return datetime.now(BERLIN).date() + timedelta(days=days_ahead)


def booking(
    clinic: Clinic,
    client_id: str,
    starts_at: str,
    *,
    room: int = 0,
    provider: int = 0,
    areas: list[str] | None = None,
    intensity: str = "standard",
    numbing: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "provider_id": clinic.provider_ids[provider],
        "room_id": clinic.room_ids[room],
        "location_id": clinic.location_id,
        "areas": areas or ["full_face"],
        "intensity": intensity,
        "numbing": numbing,
        "starts_at": starts_at,
        **extra,
    }


def treat(client: TestClient, clinician: Headers, session: dict[str, Any]) -> dict[str, Any]:
    """On the session's day (the clock travels to its treatment's start): the front desk
    re-screens the client at check-in, checks them in, and the session is completed. Returns
    the fulfilled session."""
    treatment = next(s for s in session["segments"] if s["kind"] == "treatment")
    starts_at = datetime.fromisoformat(treatment["starts_at"])
    path = f"/v1/sessions/{session['id']}"
    with at(starts_at):
        screening = {"screened_on": starts_at.date().isoformat(), "conditions": []}
        _created(
            client.post(
                f"/v1/clients/{session['client_id']}/screenings", json=screening, headers=clinician
            )
        )
        arrived = client.post(f"{path}/arrive", headers=clinician)
        assert arrived.status_code == 200, arrived.text
        completed = client.post(f"{path}/complete", headers=clinician)
        assert completed.status_code == 200, completed.text
    body: dict[str, Any] = completed.json()
    return body


def make_rows(db: Session) -> tuple[str, str, str, str]:
    """Provider, room, location and client rows made directly in the database, for tests of
    what the database itself guarantees. Returns their ids."""
    location = Location(name="L", time_zone="Europe/Berlin")
    provider = Provider(name="P", profession="nurse")
    person = Client(
        first_name="A", last_name="B", date_of_birth=date(1990, 1, 1), email="a@example.org"
    )
    db.add_all([location, provider, person])
    db.flush()
    room = Room(location_id=location.id, name="R")
    db.add(room)
    db.flush()
    return provider.id, room.id, location.id, person.id


def post_booking(client: TestClient, headers: Headers, body: dict[str, Any]) -> Any:
    """POST /v1/sessions; the answer, whatever its status."""
    return client.post("/v1/sessions", json=body, headers=headers)


def booked(client: TestClient, headers: Headers, body: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/sessions, which must answer 201; the session booked."""
    return _created(post_booking(client, headers, body))
