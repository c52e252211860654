from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Headers


def test_admin_creates_and_reads_a_location(client: TestClient, admin: Headers) -> None:
    created = client.post(
        "/v1/locations", json={"name": "Berlin Mitte", "time_zone": "Europe/Berlin"}, headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["Location"] == f"/v1/locations/{body['id']}"
    assert created.headers["ETag"] == '"1"'
    fetched = client.get(f"/v1/locations/{body['id']}", headers=admin)
    assert fetched.status_code == 200
    assert fetched.json()["time_zone"] == "Europe/Berlin"


def test_unknown_time_zone_is_a_validation_problem(client: TestClient, admin: Headers) -> None:
    response = client.post(
        "/v1/locations", json={"name": "Nowhere", "time_zone": "Mars/Olympus"}, headers=admin
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/validation-error"
    assert [e["field"] for e in problem["errors"]] == ["time_zone"]


def test_update_needs_if_match_and_refuses_a_stale_one(client: TestClient, admin: Headers) -> None:
    location = client.post(
        "/v1/locations", json={"name": "Old", "time_zone": "Europe/Berlin"}, headers=admin
    ).json()
    path = f"/v1/locations/{location['id']}"
    missing = client.patch(path, json={"name": "New"}, headers=admin)
    assert missing.status_code == 428
    updated = client.patch(path, json={"name": "New"}, headers={**admin, "If-Match": '"1"'})
    assert updated.status_code == 200
    assert updated.json()["name"] == "New"
    assert updated.headers["ETag"] == '"2"'
    stale = client.patch(path, json={"name": "Newer"}, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["type"] == "/problems/precondition-failed"
    assert client.get(path, headers=admin).json()["name"] == "New"


def test_null_for_a_required_field_is_refused(client: TestClient, admin: Headers) -> None:
    location = client.post(
        "/v1/locations", json={"name": "Old", "time_zone": "Europe/Berlin"}, headers=admin
    ).json()
    response = client.patch(
        f"/v1/locations/{location['id']}", json={"name": None}, headers={**admin, "If-Match": '"1"'}
    )
    assert response.status_code == 422


def test_list_pages_with_a_cursor(client: TestClient, admin: Headers) -> None:
    ids = [
        client.post(
            "/v1/locations", json={"name": f"L{i}", "time_zone": "Europe/Berlin"}, headers=admin
        ).json()["id"]
        for i in range(5)
    ]
    first = client.get("/v1/locations?limit=2", headers=admin).json()
    second = client.get(
        f"/v1/locations?limit=2&cursor={first['next_cursor']}", headers=admin
    ).json()
    third = client.get(
        f"/v1/locations?limit=2&cursor={second['next_cursor']}", headers=admin
    ).json()
    seen = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert seen == ids
    assert third["next_cursor"] is None
