"""The demo data of `make run`: a newcomer can book at once (docs/README.md, the tour)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from needleplan.demo import seed_demo_data
from tests.clock import at
from tests.conftest import RollbackDatabase
from tests.factories import future_day


def _seed(database: RollbackDatabase) -> tuple[dict[str, str], dict[str, str]]:
    """The demo admin key's headers and the demo clients' ids by first name."""
    with database.transaction() as db:
        seeded = seed_demo_data(db)
    clients = {who.first_name: client_id for client_id, who in seeded.clients}
    return {"Authorization": f"Bearer {seeded.secret}"}, clients


def _status(client: TestClient, admin: dict[str, str], client_id: str, on: date) -> str:
    response = client.get(f"/v1/clients/{client_id}/eligibility?on={on}", headers=admin)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def test_demo_clients_cover_the_three_verdicts(
    client: TestClient, database: RollbackDatabase
) -> None:
    admin, clients = _seed(database)
    soon = future_day(7)
    assert {name: _status(client, admin, cid, soon) for name, cid in clients.items()} == {
        "Anna": "eligible",
        "Lena": "eligible_with_cautions",
        "Sofia": "not_eligible",
    }


def test_seeding_again_adds_no_clients_and_only_the_newest_key_works(
    client: TestClient, database: RollbackDatabase
) -> None:
    first_key, first_clients = _seed(database)
    second_key, second_clients = _seed(database)
    assert second_clients == first_clients
    assert client.get("/v1/locations", headers=first_key).status_code == 401
    locations = client.get("/v1/locations", headers=second_key).json()["items"]
    assert [location["name"] for location in locations] == ["Demo Clinic Berlin"]


def test_a_later_run_screens_the_demo_clients_again(
    client: TestClient, database: RollbackDatabase
) -> None:
    _seed(database)
    two_months_later = future_day(60)
    admin, clients = _seed_at(database, two_months_later)
    assert _status(client, admin, clients["Anna"], two_months_later) == "eligible"


def _seed_at(database: RollbackDatabase, day: date) -> tuple[dict[str, str], dict[str, str]]:
    with at(f"{day.isoformat()}T12:00:00+01:00"):
        return _seed(database)


def test_the_demo_rooms_hold_the_shipped_devices(
    client: TestClient, database: RollbackDatabase
) -> None:
    """A newcomer can book with a device at once: RF in Room 2 only (the tour's devices step)."""
    admin, _ = _seed(database)
    rooms = client.get("/v1/rooms", headers=admin).json()["items"]
    devices = {
        device["code"] for device in client.get("/v1/devices", headers=admin).json()["items"]
    }
    holding = {room["name"]: room["device_codes"] for room in rooms}
    assert holding == {
        "Room 1": ["microneedling_pen"],
        "Room 2": ["microneedling_pen", "rf_microneedling"],
    }
    assert {code for codes in holding.values() for code in codes} <= devices
