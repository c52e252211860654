from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from needleplan.config import Settings
from needleplan.db import Database
from needleplan.main import create_app
from tests.conftest import Headers, RollbackDatabase


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_readyz_refuses_a_database_behind_the_head(
    client: TestClient, database: RollbackDatabase
) -> None:
    database.connection.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["type"] == "/problems/service-unavailable"
    assert "Retry-After" in response.headers


def test_unreachable_database_answers_503_not_500() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    app = create_app(Settings(database_url=url), Database(url))
    with TestClient(app, raise_server_exceptions=False) as client:
        for path, headers in (("/readyz", {}), ("/v1/locations", {"Authorization": "Bearer np_x"})):
            response = client.get(path, headers=headers)
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["Retry-After"]


def test_unknown_paths_and_methods_are_problems(client: TestClient, admin: Headers) -> None:
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = client.delete("/v1/locations", headers=admin)
    assert wrong.status_code == 405
    assert wrong.json()["type"] == "/problems/method-not-allowed"


def test_limit_outside_1_to_200_is_422(client: TestClient, admin: Headers) -> None:
    for limit in (0, 201):
        assert client.get(f"/v1/locations?limit={limit}", headers=admin).status_code == 422


def test_a_forged_cursor_is_400(client: TestClient, admin: Headers) -> None:
    response = client.get("/v1/locations?cursor=definitely-not-ours", headers=admin)
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-request"


def test_no_patient_data_in_logs(
    client: TestClient, front_desk: Headers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.post(
        "/v1/clients",
        json={
            "first_name": "Wilhelmina",
            "last_name": "Zzyzx",
            "date_of_birth": "1990-01-01",
            "email": "wz@example.org",
        },
        headers=front_desk,
    )
    client.get("/v1/clients", params={"q": "Zzyzx"}, headers=front_desk)
    client.post("/v1/clients", json={"first_name": "Wilhelmina", "email": 5}, headers=front_desk)
    # httpx is the test's own client, logging the URL it sent; everything else is the server.
    server_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert any(r.name == "needleplan.access" for r in caplog.records)
    for secret in ("Wilhelmina", "Zzyzx", "wz@example.org"):
        assert not [line for line in server_lines if secret in line]


def test_errors_never_echo_the_input(client: TestClient, front_desk: Headers) -> None:
    response = client.post(
        "/v1/clients",
        json={
            "first_name": "Wilhelmina",
            "last_name": "Zzyzx",
            "date_of_birth": "not a date Zzyzx",
        },
        headers=front_desk,
    )
    assert response.status_code == 422
    assert "Zzyzx" not in response.text
