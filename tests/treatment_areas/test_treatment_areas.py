from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Headers

DEFAULTS = {
    "under_eye": (15, 15),
    "lips": (15, 15),
    "full_face": (30, 45),
    "neck": (15, 20),
    "decolletage": (15, 20),
    "hands": (15, 20),
    "chest": (60, 75),
    "back": (60, 90),
    "abdomen": (60, 75),
    "thighs": (60, 90),
}


def test_the_default_catalogue_is_installed_by_migrate(
    client: TestClient, integration: Headers
) -> None:
    items = client.get("/v1/treatment-areas?limit=200", headers=integration).json()["items"]
    assert {a["code"]: (a["min_minutes"], a["max_minutes"]) for a in items} == DEFAULTS


def test_admin_adds_an_area_and_codes_are_unique(client: TestClient, admin: Headers) -> None:
    body = {
        "code": "scalp",
        "name": "Scalp",
        "category": "body",
        "min_minutes": 20,
        "max_minutes": 30,
    }
    created = client.post("/v1/treatment-areas", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/v1/treatment-areas/scalp"
    again = client.post("/v1/treatment-areas", json=body, headers=admin)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/already-exists"


def test_minutes_must_be_ordered_and_in_range(client: TestClient, admin: Headers) -> None:
    body = {"code": "odd", "name": "Odd", "category": "small", "min_minutes": 30, "max_minutes": 20}
    assert client.post("/v1/treatment-areas", json=body, headers=admin).status_code == 422
    body.update(min_minutes=4, max_minutes=20)
    assert client.post("/v1/treatment-areas", json=body, headers=admin).status_code == 422
    patch = client.patch(
        "/v1/treatment-areas/neck", json={"min_minutes": 25}, headers={**admin, "If-Match": '"1"'}
    )
    assert patch.status_code == 422
    assert patch.json()["errors"][0]["field"] == "min_minutes"


def test_the_code_cannot_be_changed(client: TestClient, admin: Headers) -> None:
    response = client.patch(
        "/v1/treatment-areas/neck", json={"code": "throat"}, headers={**admin, "If-Match": '"1"'}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "extra_forbidden"


def test_catalogue_writes_need_admin(client: TestClient, clinician: Headers) -> None:
    body = {
        "code": "scalp",
        "name": "Scalp",
        "category": "body",
        "min_minutes": 20,
        "max_minutes": 30,
    }
    response = client.post("/v1/treatment-areas", json=body, headers=clinician)
    assert response.status_code == 403
    assert response.json()["type"] == "/problems/forbidden"
