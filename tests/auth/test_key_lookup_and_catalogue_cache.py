"""A read costs what a read costs (issue 12, point 2): authentication runs in the request's own
transaction, the condition catalogue is read once per change, a booking reads its client once.

(The cross-process side, a change in one server process seen by another at once, is
tests/app/test_cross_process.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from needleplan.auth.roles import Role
from needleplan.auth.service import create_api_key
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.main import create_app
from needleplan.migrations import migrate
from needleplan.models import ScreeningCondition
from needleplan.screening.repository import CATALOGUE, condition_catalogue
from tests.conftest import Headers, RollbackDatabase
from tests.factories import booking, future_day, local, make_client, make_clinic


@contextmanager
def statements(database: RollbackDatabase) -> Iterator[list[str]]:
    """The statements run on the test connection meanwhile, whitespace-normalised."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(database.connection, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(database.connection, "before_cursor_execute", note)


def _booked(client: TestClient, admin: Headers, clinician: Headers) -> dict[str, Any]:
    clinic = make_clinic(client, admin)
    person = make_client(client, clinician)
    body = booking(clinic, person, local(future_day(), "10:00"))
    response = client.post("/v1/sessions", json=body, headers=clinician)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


def test_a_read_authenticates_in_its_own_transaction(
    client: TestClient, database: RollbackDatabase, admin: Headers, clinician: Headers
) -> None:
    session = _booked(client, admin, clinician)
    client.get(f"/v1/sessions/{session['id']}", headers=clinician)  # last_used_at refreshed
    with statements(database) as seen:
        response = client.get(f"/v1/sessions/{session['id']}", headers=clinician)
    assert response.status_code == 200, response.text
    transactions = [s for s in seen if s.startswith("SAVEPOINT")]
    assert len(transactions) == 1, seen  # one transaction: the key lookup and the read
    lookup = next(i for i, s in enumerate(seen) if "FROM api_keys" in s)
    read = next(i for i, s in enumerate(seen) if "FROM treatment_sessions" in s)
    assert seen[0].startswith("SAVEPOINT")
    assert lookup < read


def test_the_last_use_is_still_recorded_once_a_minute(
    client: TestClient, database: RollbackDatabase, admin: Headers
) -> None:
    def last_used() -> Any:
        keys = client.get("/v1/api-keys", headers=admin).json()["items"]
        return next(k for k in keys if k["role"] == "admin")["last_used_at"]

    first = last_used()
    assert first is not None
    with statements(database) as seen:
        assert last_used() == first
    assert not [s for s in seen if s.startswith("UPDATE api_keys")]


def test_a_revoked_key_is_refused_by_the_next_request(
    client: TestClient, admin: Headers, front_desk: Headers
) -> None:
    assert client.get("/v1/locations", headers=front_desk).status_code == 200
    keys = client.get("/v1/api-keys", headers=admin).json()["items"]
    key_id = next(k for k in keys if k["role"] == "front_desk")["id"]
    assert client.delete(f"/v1/api-keys/{key_id}", headers=admin).status_code == 204
    assert client.get("/v1/locations", headers=front_desk).status_code == 401


@pytest.fixture
def file_database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/pool.db")
    migrate(database)
    yield database
    database.dispose()


def test_no_answer_leaves_the_request_connection_checked_out(file_database: Database) -> None:
    with file_database.transaction() as db:
        _, key = create_api_key(db, name="pool", role=Role.admin)
    headers = {"Authorization": f"Bearer {key.secret}"}
    app = create_app(Settings(database_url=file_database.url), file_database)
    with TestClient(app, raise_server_exceptions=False) as client:
        answers = [
            client.get("/v1/locations", headers=headers).status_code,
            client.get("/v1/nowhere", headers=headers).status_code,
            client.put("/v1/locations", headers=headers, json={}).status_code,
            client.post("/v1/locations", headers=headers, content=b"x").status_code,
            client.post("/v1/locations", headers=headers, json={}).status_code,
            client.post(
                "/v1/locations", headers={**headers, "Idempotency-Key": "k1"}, json={}
            ).status_code,
            client.get("/v1/locations", headers={"Authorization": "Bearer nope"}).status_code,
        ]
        assert answers == [200, 404, 405, 415, 422, 422, 401]
        assert file_database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_the_catalogue_is_read_once_per_change(
    client: TestClient, database: RollbackDatabase, admin: Headers, clinician: Headers
) -> None:
    person = make_client(client, clinician, conditions=("sensitive_skin",))

    def status() -> str:
        answer = client.get(f"/v1/clients/{person}/eligibility", headers=clinician)
        assert answer.status_code == 200, answer.text
        value: str = answer.json()["status"]
        return value

    assert status() == "eligible_with_cautions"
    loads = CATALOGUE.loads
    with statements(database) as seen:
        for _ in range(3):
            assert status() == "eligible_with_cautions"
    assert CATALOGUE.loads == loads
    assert not [s for s in seen if s.startswith("SELECT screening_conditions.code")]

    changed = client.patch(
        "/v1/screening-conditions/sensitive_skin",
        json={"kind": "contraindication"},
        headers={**admin, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert status() == "not_eligible"
    assert CATALOGUE.loads == loads + 1

    # A change behind the API's back (another process, a hand edit) is seen as well.
    with database.transaction() as db:
        db.execute(
            update(ScreeningCondition)
            .where(ScreeningCondition.code == "sensitive_skin")  # type: ignore[arg-type]
            .values(kind="caution", version=3, updated_at=datetime.now(UTC) + timedelta(1))
        )
    assert status() == "eligible_with_cautions"


def test_a_transaction_that_writes_the_catalogue_does_not_fill_the_cache(
    database: RollbackDatabase,
) -> None:
    with database.transaction() as db:
        condition = db.get(ScreeningCondition, "rosacea")
        assert condition is not None
        condition.name = "Rosacea (edited)"
        db.flush()
        loads = CATALOGUE.loads
        assert condition_catalogue(db)["rosacea"].name == "Rosacea (edited)"
        assert CATALOGUE.loads == loads


def test_a_booking_reads_its_client_once(
    client: TestClient, database: RollbackDatabase, admin: Headers, clinician: Headers
) -> None:
    clinic = make_clinic(client, admin)
    person = make_client(client, clinician)
    body = booking(clinic, person, local(future_day(), "11:00"))
    with statements(database) as seen:
        response = client.post("/v1/sessions", json=body, headers=clinician)
    assert response.status_code == 201, response.text
    assert len([s for s in seen if " FROM clients " in s + " "]) == 1, seen
