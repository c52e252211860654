"""Idempotency-Key on creates (docs/api.md#idempotency), through the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import func, select, update

from needleplan.auth.roles import Role
from needleplan.kit.time import utc_now
from needleplan.models import Client, IdempotencyRecord
from tests.conftest import Headers, RollbackDatabase

BODY = {
    "first_name": "Ines",
    "last_name": "Once",
    "date_of_birth": "1985-02-03",
    "email": "ines@example.org",
}


def _count_clients(database: RollbackDatabase) -> int:
    with database.transaction() as db:
        return db.exec(select(func.count()).select_from(Client)).one()


def test_a_retried_create_is_replayed_not_repeated(
    client: TestClient, front_desk: Headers, database: RollbackDatabase
) -> None:
    before = _count_clients(database)
    headers = {**front_desk, "Idempotency-Key": "create-ines-1"}
    first = client.post("/v1/clients", json=BODY, headers=headers)
    again = client.post("/v1/clients", json=dict(reversed(BODY.items())), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count_clients(database) == before + 1


def test_the_same_key_with_another_body_is_refused(client: TestClient, front_desk: Headers) -> None:
    headers = {**front_desk, "Idempotency-Key": "create-ines-2"}
    assert client.post("/v1/clients", json=BODY, headers=headers).status_code == 201
    other = client.post("/v1/clients", json={**BODY, "first_name": "Other"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "/problems/idempotency-key-reused"


def test_a_refusal_is_replayed_too(client: TestClient, front_desk: Headers) -> None:
    headers = {**front_desk, "Idempotency-Key": "bad-body"}
    first = client.post("/v1/clients", json={**BODY, "email": None}, headers=headers)
    again = client.post("/v1/clients", json={**BODY, "email": None}, headers=headers)
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_keys_are_scoped_per_api_key(
    client: TestClient, key_for: Callable[[Role], Headers], database: RollbackDatabase
) -> None:
    before = _count_clients(database)
    for _ in range(2):
        headers = {**key_for(Role.front_desk), "Idempotency-Key": "shared-key"}
        assert client.post("/v1/clients", json=BODY, headers=headers).status_code == 201
    assert _count_clients(database) == before + 2


def test_a_key_expires_after_24_hours(
    client: TestClient, front_desk: Headers, database: RollbackDatabase
) -> None:
    headers = {**front_desk, "Idempotency-Key": "old-key"}
    first = client.post("/v1/clients", json=BODY, headers=headers).json()
    with database.transaction() as db:
        db.exec(update(IdempotencyRecord).values(expires_at=utc_now() - timedelta(seconds=1)))  # type: ignore[call-overload]
    later = client.post("/v1/clients", json=BODY, headers=headers)
    assert later.status_code == 201
    assert later.json()["id"] != first["id"]


def test_an_invalid_key_is_400(client: TestClient, front_desk: Headers) -> None:
    response = client.post(
        "/v1/clients", json=BODY, headers={**front_desk, "Idempotency-Key": "x" * 256}
    )
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/idempotency-key-invalid"


def test_every_post_documents_the_header(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    posts = [
        op
        for path, ops in document["paths"].items()
        if path.startswith("/v1")
        for m, op in ops.items()
        if m == "post"
    ]
    assert posts
    for operation in posts:
        assert "Idempotency-Key" in [p["name"] for p in operation.get("parameters", [])], operation[
            "operationId"
        ]
