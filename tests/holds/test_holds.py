"""Holds and their conversion into sessions (issue 4 item 5, docs/domain.md#holds)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import update

from needleplan.kit.time import utc_now
from needleplan.models import BusyBlock, Hold
from tests.conftest import Headers, RollbackDatabase
from tests.factories import Clinic, booking, future_day, local, make_client, make_clinic


@pytest.fixture
def clinic(client: TestClient, admin: Headers) -> Clinic:
    return make_clinic(client, admin)


def _hold(client: TestClient, headers: Headers, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/holds", json=body, headers=headers)
    assert response.status_code == 201, response.text
    hold: dict[str, Any] = response.json()
    return hold


def _expire(database: RollbackDatabase, hold_id: str) -> None:
    past = utc_now() - timedelta(seconds=1)
    with database.transaction() as db:
        db.exec(update(Hold).where(Hold.id == hold_id).values(expires_at=past))  # type: ignore[call-overload, arg-type]
        db.exec(update(BusyBlock).where(BusyBlock.hold_id == hold_id).values(expires_at=past))  # type: ignore[call-overload, arg-type]


@pytest.fixture
def body(client: TestClient, clinic: Clinic, clinician: Headers) -> dict[str, Any]:
    """Alice's booking at 10:00 on a day ahead."""
    a = make_client(client, clinician, name="Alice")
    return booking(clinic, a, local(future_day(), "10:00"))


@pytest.fixture
def hold(client: TestClient, integration: Headers, body: dict[str, Any]) -> dict[str, Any]:
    return _hold(client, integration, body)


def test_a_new_hold_is_active_for_five_minutes(hold: dict[str, Any]) -> None:
    assert hold["status"] == "active"
    left = datetime.fromisoformat(hold["expires_at"]) - utc_now()
    assert 4 * 60 < left.total_seconds() <= 5 * 60


def test_a_hold_blocks_its_slot_for_everyone_else(
    client: TestClient,
    clinic: Clinic,
    hold: dict[str, Any],
    integration: Headers,
    clinician: Headers,
) -> None:
    b = make_client(client, clinician, name="Bea")
    blocked = client.post(
        "/v1/sessions", json=booking(clinic, b, local(future_day(), "10:00")), headers=integration
    )
    assert blocked.status_code == 409
    assert blocked.json()["conflicts"][0]["hold_id"] == hold["id"]


def test_a_hold_converts_into_the_session_booked_with_it(
    client: TestClient, body: dict[str, Any], hold: dict[str, Any], integration: Headers
) -> None:
    converted = client.post(
        "/v1/sessions", json={**body, "hold_id": hold["id"]}, headers=integration
    )
    assert converted.status_code == 201, converted.text
    assert converted.json()["hold_id"] == hold["id"]
    after = client.get(f"/v1/holds/{hold['id']}", headers=integration).json()
    assert (after["status"], after["session_id"]) == ("converted", converted.json()["id"])


def test_a_converted_hold_cannot_be_booked_again(
    client: TestClient, body: dict[str, Any], hold: dict[str, Any], integration: Headers
) -> None:
    with_hold = {**body, "hold_id": hold["id"]}
    assert client.post("/v1/sessions", json=with_hold, headers=integration).status_code == 201
    twice = client.post("/v1/sessions", json=with_hold, headers=integration)
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/hold-expired"
    assert twice.json()["detail"] == "The hold has already become a session."


def test_a_converted_hold_cannot_be_released(
    client: TestClient, clinic: Clinic, integration: Headers, clinician: Headers
) -> None:
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    body = booking(clinic, a, local(future_day(), "10:00"))
    hold = _hold(client, integration, body)
    session = client.post("/v1/sessions", json={**body, "hold_id": hold["id"]}, headers=integration)
    assert session.status_code == 201, session.text
    refused = client.delete(f"/v1/holds/{hold['id']}", headers=integration)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "/problems/hold-converted"
    assert problem["session_id"] == session.json()["id"]
    assert session.json()["id"] in problem["detail"]
    # Nothing changed: the session still holds the slot and the hold still reads converted.
    after = client.get(f"/v1/holds/{hold['id']}", headers=integration).json()
    assert (after["status"], after["session_id"]) == ("converted", session.json()["id"])
    taken = client.post(
        "/v1/sessions", json=booking(clinic, b, local(future_day(), "10:00")), headers=integration
    )
    assert taken.status_code == 409
    assert taken.json()["type"] == "/problems/slot-taken"


def test_releasing_twice_or_an_expired_hold_is_still_204(
    client: TestClient,
    clinic: Clinic,
    integration: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    a = make_client(client, clinician, name="Alice")
    released = _hold(client, integration, booking(clinic, a, local(future_day(), "10:00")))
    for _ in range(2):
        assert client.delete(f"/v1/holds/{released['id']}", headers=integration).status_code == 204
    expired = _hold(client, integration, booking(clinic, a, local(future_day(), "12:00")))
    _expire(database, expired["id"])
    assert client.delete(f"/v1/holds/{expired['id']}", headers=integration).status_code == 204


def test_a_hold_converts_only_into_the_same_booking(
    client: TestClient, clinic: Clinic, integration: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    body = booking(clinic, a, local(future_day(), "10:00"))
    hold = _hold(client, integration, body)
    other = {**body, "starts_at": local(future_day(), "11:00"), "hold_id": hold["id"]}
    response = client.post("/v1/sessions", json=other, headers=integration)
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/hold-mismatch"


def test_an_expired_hold_stops_blocking_without_any_job(
    client: TestClient,
    clinic: Clinic,
    integration: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    body = booking(clinic, a, local(future_day(), "10:00"))
    hold = _hold(client, integration, body)
    _expire(database, hold["id"])
    assert client.get(f"/v1/holds/{hold['id']}", headers=integration).json()["status"] == "expired"
    late = client.post("/v1/sessions", json={**body, "hold_id": hold["id"]}, headers=integration)
    assert late.status_code == 409
    assert late.json()["type"] == "/problems/hold-expired"
    assert late.json()["detail"] == "The hold has expired."
    taken = client.post(
        "/v1/sessions", json=booking(clinic, b, local(future_day(), "10:00")), headers=integration
    )
    assert taken.status_code == 201, taken.text


def test_releasing_a_hold_frees_the_slot(
    client: TestClient, clinic: Clinic, integration: Headers, clinician: Headers
) -> None:
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    hold = _hold(client, integration, booking(clinic, a, local(future_day(), "10:00")))
    assert client.delete(f"/v1/holds/{hold['id']}", headers=integration).status_code == 204
    assert client.get(f"/v1/holds/{hold['id']}", headers=integration).json()["status"] == "released"
    free = client.post(
        "/v1/sessions", json=booking(clinic, b, local(future_day(), "10:00")), headers=integration
    )
    assert free.status_code == 201


def test_holds_pass_the_booking_rules(
    client: TestClient, clinic: Clinic, integration: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice", conditions=("pregnancy",))
    refused = client.post(
        "/v1/holds", json=booking(clinic, a, local(future_day(), "10:00")), headers=integration
    )
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/not-eligible"


def test_housekeeping_purges_what_has_expired(
    client: TestClient,
    clinic: Clinic,
    integration: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    from needleplan.ops.housekeeping import purge_expired

    a = make_client(client, clinician, name="Alice")
    expired = _hold(client, integration, booking(clinic, a, local(future_day(), "10:00")))
    live = _hold(client, integration, booking(clinic, a, local(future_day(), "12:00")))
    _expire(database, expired["id"])
    with database.transaction() as db:
        purged = purge_expired(db)
    assert purged.hold_blocks == 3  # client, provider and room of the expired hold
    assert client.get(f"/v1/holds/{live['id']}", headers=integration).json()["status"] == "active"
    taken = client.post(
        "/v1/sessions", json=booking(clinic, a, local(future_day(), "12:00")), headers=integration
    )
    assert taken.status_code == 409  # the live hold still blocks
