from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from needleplan.auth.roles import Role
from needleplan.kit.time import utc_now
from needleplan.models import ApiKey, AuditEvent
from tests.conftest import Headers, RollbackDatabase


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer np_not-a-real-key"],
)
def test_missing_or_bad_key_is_401_problem(client: TestClient, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/v1/locations", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "/problems/unauthorized"


def test_401_comes_before_reading_a_malformed_body(client: TestClient) -> None:
    response = client.post(
        "/v1/clients", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401


def test_malformed_json_with_a_key_is_400(client: TestClient, admin: Headers) -> None:
    response = client.post(
        "/v1/locations", content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/malformed-request"


def test_role_is_checked_before_the_body(client: TestClient, front_desk: Headers) -> None:
    response = client.post("/v1/locations", json={"bogus": True}, headers=front_desk)
    assert response.status_code == 403


def test_keys_are_stored_as_digests(
    client: TestClient, admin: Headers, database: RollbackDatabase
) -> None:
    created = client.post(
        "/v1/api-keys", json={"name": "desk", "role": "front_desk"}, headers=admin
    )
    assert created.status_code == 201, created.text
    secret = created.json()["key"]
    with database.transaction() as db:
        row = db.get(ApiKey, created.json()["id"])
        assert row is not None
        assert row.key_digest == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in {row.name, row.key_prefix, row.key_digest}
    listed = client.get("/v1/api-keys", headers=admin).json()["items"]
    assert all("key" not in item for item in listed)


def test_revoked_key_stops_working(client: TestClient, admin: Headers) -> None:
    created = client.post(
        "/v1/api-keys", json={"name": "temp", "role": "integration"}, headers=admin
    ).json()
    temp = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/v1/locations", headers=temp).status_code == 200
    assert client.delete(f"/v1/api-keys/{created['id']}", headers=admin).status_code == 204
    assert client.get("/v1/locations", headers=temp).status_code == 401


def test_last_used_at_is_refreshed_at_most_once_a_minute(
    client: TestClient, admin: Headers, database: RollbackDatabase
) -> None:
    created = client.post(
        "/v1/api-keys", json={"name": "seen", "role": "integration"}, headers=admin
    ).json()
    assert created["last_used_at"] is None
    headers = {"Authorization": f"Bearer {created['key']}"}

    def last_used() -> datetime | None:
        with database.transaction() as db:
            row = db.get(ApiKey, created["id"])
            assert row is not None
            db.refresh(row)
            return row.last_used_at

    assert last_used() is None
    assert client.get("/v1/locations", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    assert abs(utc_now() - first) < timedelta(seconds=30)
    # Within the minute, further requests do not write.
    assert client.get("/v1/locations", headers=headers).status_code == 200
    assert last_used() == first
    # Older than a minute: the next request refreshes it.
    long_ago = utc_now() - timedelta(minutes=5)
    with database.transaction() as db:
        row = db.get(ApiKey, created["id"])
        assert row is not None
        row.last_used_at = long_ago
    assert client.get("/v1/locations", headers=headers).status_code == 200
    refreshed = last_used()
    assert refreshed is not None
    assert refreshed > long_ago + timedelta(minutes=4)
    listed = client.get("/v1/api-keys", headers=admin).json()["items"]
    (item,) = (item for item in listed if item["id"] == created["id"])
    assert item["last_used_at"] is not None


def test_revoking_an_unknown_key_is_404(client: TestClient, admin: Headers) -> None:
    response = client.delete("/v1/api-keys/00000000-0000-7000-8000-000000000000", headers=admin)
    assert response.status_code == 404


def test_key_management_needs_admin(key_for: Callable[[Role], Headers], client: TestClient) -> None:
    for role in (Role.integration, Role.front_desk, Role.clinician):
        assert client.get("/v1/api-keys", headers=key_for(role)).status_code == 403


def test_mutations_are_audited_with_the_key(
    client: TestClient, admin: Headers, database: RollbackDatabase
) -> None:
    location = client.post(
        "/v1/locations", json={"name": "Audit", "time_zone": "Europe/Berlin"}, headers=admin
    ).json()
    client.patch(
        f"/v1/locations/{location['id']}",
        json={"name": "Audited"},
        headers={**admin, "If-Match": '"1"'},
    )
    with database.transaction() as db:
        events = db.exec(select(AuditEvent).where(AuditEvent.resource_id == location["id"])).all()
    assert [(e.action, e.resource) for e in events] == [
        ("create", "location"),
        ("update", "location"),
    ]
    assert all(e.api_key_id is not None for e in events)


def test_cli_prints_the_key_alone_on_the_last_line(tmp_path: pytest.TempPathFactory) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    env = {**os.environ, "NEEDLEPLAN_DATABASE_URL": url}
    cli = [sys.executable, "-m", "needleplan.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    created = subprocess.run(
        [*cli, "create-api-key", "--role", "admin", "--name", "ops"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("np_")
    assert " " not in secret
    key_id = created.stdout.split()[3]
    revoked = subprocess.run(
        [*cli, "revoke-api-key", key_id], env=env, capture_output=True, text=True
    )
    assert revoked.returncode == 0, revoked.stderr
    purged = subprocess.run([*cli, "purge"], env=env, capture_output=True, text=True)
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout.startswith("purged 0 idempotency records")
    rebuilt = subprocess.run([*cli, "rebuild-busy-days"], env=env, capture_output=True, text=True)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith("rebuilt 0 busy-day rows")
    unknown = subprocess.run(
        [*cli, "revoke-api-key", "nope"], env=env, capture_output=True, text=True
    )
    assert unknown.returncode == 1


def test_keys_work_behind_a_root_path(app: FastAPI, admin: Headers) -> None:
    # `needleplan serve --root-path /api`: uvicorn puts the prefix in front of every path, as
    # this client does when given the full path.
    with TestClient(app, root_path="/api", raise_server_exceptions=False) as behind_proxy:
        assert behind_proxy.get("/api/v1/locations", headers=admin).status_code == 200
        assert behind_proxy.get("/api/v1/locations").status_code == 401
