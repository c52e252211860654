from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Headers

ANNA = {
    "first_name": "Anna",
    "last_name": "Beispiel",
    "date_of_birth": "1988-04-12",
    "email": "anna.beispiel@example.org",
    "phone": "+49 30 1234567",
}


def _create(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/clients", json={**ANNA, **overrides}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_front_desk_creates_and_reads_a_client(client: TestClient, front_desk: Headers) -> None:
    created = _create(client, front_desk, notes="prefers mornings")
    fetched = client.get(f"/v1/clients/{created['id']}", headers=front_desk)
    assert fetched.status_code == 200
    assert fetched.json()["notes"] == "prefers mornings"
    assert fetched.headers["ETag"] == '"1"'


def test_integration_creates_a_client_but_learns_only_its_id(
    client: TestClient, integration: Headers, front_desk: Headers
) -> None:
    created = client.post("/v1/clients", json=ANNA, headers=integration)
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"]}
    assert client.get(f"/v1/clients/{created.json()['id']}", headers=integration).status_code == 403
    assert client.get("/v1/clients", headers=integration).status_code == 403
    assert client.get(f"/v1/clients/{created.json()['id']}", headers=front_desk).status_code == 200


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("anna", True),
        ("BEISPIEL", True),
        ("anna beispiel", True),
        ("example.org", True),
        ("1234567", True),
        ("bert", False),
        ("%", False),
        ("_", False),
    ],
)
def test_search_by_name_email_or_phone(
    client: TestClient, front_desk: Headers, q: str, found: bool
) -> None:
    created = _create(client, front_desk)
    _create(
        client, front_desk, first_name="Zoe", last_name="Other", email="zoe@example.com", phone=None
    )
    items = client.get("/v1/clients", params={"q": q}, headers=front_desk).json()["items"]
    assert (created["id"] in [c["id"] for c in items]) is found


def test_a_client_needs_a_contact(client: TestClient, front_desk: Headers) -> None:
    response = client.post(
        "/v1/clients", json={**ANNA, "email": None, "phone": None}, headers=front_desk
    )
    assert response.status_code == 422
    created = _create(client, front_desk, phone=None)
    cleared = client.patch(
        f"/v1/clients/{created['id']}",
        json={"email": None},
        headers={**front_desk, "If-Match": '"1"'},
    )
    assert cleared.status_code == 422


def test_update_merges_and_bumps_the_version(client: TestClient, front_desk: Headers) -> None:
    created = _create(client, front_desk)
    updated = client.patch(
        f"/v1/clients/{created['id']}",
        json={"phone": None},
        headers={**front_desk, "If-Match": '"1"'},
    )
    assert updated.status_code == 200
    assert updated.json()["phone"] is None
    assert updated.json()["email"] == ANNA["email"]
    assert updated.json()["version"] == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"date_of_birth": "2999-01-01"},
        {"email": "not-an-email"},
        {"phone": "call me"},
        {"first_name": ""},
    ],
)
def test_invalid_fields_are_named(
    client: TestClient, front_desk: Headers, bad: dict[str, str]
) -> None:
    response = client.post("/v1/clients", json={**ANNA, **bad}, headers=front_desk)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == list(bad)
