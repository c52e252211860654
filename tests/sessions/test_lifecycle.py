"""A booked session's lifecycle through the HTTP API (docs/domain.md, "Session lifecycle"):
cancellation, check-in, completion, no-show and entered-in-error. When on its day each step is
allowed is in test_lifecycle_timing.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.clock import at
from tests.conftest import Headers, RollbackDatabase
from tests.factories import Clinic, booked, booking, future_day, local, make_client


@pytest.fixture
def body(client: TestClient, clinic: Clinic, clinician: Headers) -> dict[str, Any]:
    """Alice's booking at 10:00 on a day ahead."""
    a = make_client(client, clinician, name="Alice")
    return booking(clinic, a, local(future_day(), "10:00"))


@pytest.fixture
def session(client: TestClient, integration: Headers, body: dict[str, Any]) -> dict[str, Any]:
    """Alice's session, booked by an integration (ETag "1")."""
    return booked(client, integration, body)


def _path(session: dict[str, Any]) -> str:
    return f"/v1/sessions/{session['id']}"


def test_a_no_show_cannot_be_marked_before_the_start(
    client: TestClient, session: dict[str, Any], front_desk: Headers
) -> None:
    assert client.post(f"{_path(session)}/no-show", headers=front_desk).status_code == 409


def test_a_session_not_checked_in_cannot_be_completed(
    client: TestClient, session: dict[str, Any], front_desk: Headers
) -> None:
    assert client.post(f"{_path(session)}/complete", headers=front_desk).status_code == 409


def test_a_cancellation_needs_a_reason(
    client: TestClient, session: dict[str, Any], integration: Headers
) -> None:
    assert client.post(f"{_path(session)}/cancel", json={}, headers=integration).status_code == 422


def test_the_front_desk_cannot_mark_a_session_entered_in_error(
    client: TestClient, session: dict[str, Any], front_desk: Headers
) -> None:
    assert client.post(f"{_path(session)}/entered-in-error", headers=front_desk).status_code == 403


def test_a_cancellation_against_a_stale_etag_is_refused(
    client: TestClient, session: dict[str, Any], integration: Headers
) -> None:
    stale = client.post(
        f"{_path(session)}/cancel",
        json={"reason": "flu"},
        headers={**integration, "If-Match": '"7"'},
    )
    assert stale.status_code == 412


def test_a_cancellation_keeps_its_reason_and_moves_the_etag_on(
    client: TestClient, session: dict[str, Any], integration: Headers
) -> None:
    cancelled = client.post(
        f"{_path(session)}/cancel",
        json={"reason": "flu"},
        headers={**integration, "If-Match": '"1"'},
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "flu")
    assert cancelled.headers["ETag"] == '"2"'


def test_a_cancelled_session_frees_its_slot_and_stays_readable(
    client: TestClient,
    session: dict[str, Any],
    body: dict[str, Any],
    front_desk: Headers,
    integration: Headers,
) -> None:
    cancel = {"reason": "flu"}
    assert (
        client.post(f"{_path(session)}/cancel", json=cancel, headers=integration).status_code == 200
    )
    booked(client, integration, body)
    assert client.get(_path(session), headers=front_desk).json()["status"] == "cancelled"


def test_an_arrived_session_cannot_be_cancelled(
    client: TestClient, session: dict[str, Any], front_desk: Headers
) -> None:
    with at(local(future_day(), "10:00")):
        arrived = client.post(f"{_path(session)}/arrive", headers=front_desk)
        assert arrived.status_code == 200
        cancel = client.post(f"{_path(session)}/cancel", json={"reason": "x"}, headers=front_desk)
        assert cancel.status_code == 409


def test_an_arrived_session_can_be_completed(
    client: TestClient, session: dict[str, Any], front_desk: Headers
) -> None:
    with at(local(future_day(), "10:00")):
        arrived = client.post(f"{_path(session)}/arrive", headers=front_desk)
        assert arrived.status_code == 200
        done = client.post(f"{_path(session)}/complete", headers=front_desk)
    assert done.json()["status"] == "fulfilled"


def test_refused_transitions_read_as_sentences(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    session = booked(client, front_desk, booking(clinic, a, local(future_day(), "10:00")))
    path = _path(session)
    assert (
        client.post(f"{path}/cancel", json={"reason": "flu"}, headers=front_desk).status_code == 200
    )
    refusals = {
        "entered-in-error": "A cancelled session cannot be marked entered-in-error.",
        "arrive": "A cancelled session cannot be checked in.",
        "complete": "A cancelled session cannot be completed.",
        "no-show": "A cancelled session cannot be marked no-show.",
    }
    for action, detail in refusals.items():
        refused = client.post(f"{path}/{action}", headers=clinician)
        assert refused.status_code == 409, action
        assert refused.json()["type"] == "/problems/transition-not-allowed"
        assert refused.json()["detail"] == detail
    moved = client.patch(
        path,
        json={"starts_at": local(future_day(), "11:00")},
        headers={**front_desk, "If-Match": '"2"'},
    )
    assert moved.status_code == 409
    assert moved.json()["detail"] == "A cancelled session cannot be rescheduled."


def test_a_session_entered_in_error_frees_its_slot(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    mistake = booked(client, front_desk, booking(clinic, a, local(future_day(), "10:00")))
    marked = client.post(f"{_path(mistake)}/entered-in-error", headers=clinician)
    assert marked.status_code == 200
    assert marked.json()["status"] == "entered-in-error"
    booked(client, front_desk, booking(clinic, b, local(future_day(), "10:00")))


def test_a_session_whose_start_has_passed_can_be_marked_no_show(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    from needleplan.kit.time import utc_now
    from needleplan.models import TreatmentSession

    a = make_client(client, clinician, name="Alice")
    missed = booked(client, front_desk, booking(clinic, a, local(future_day(), "14:00")))
    with database.transaction() as db:
        row = db.get(TreatmentSession, missed["id"])
        assert row is not None
        row.starts_at = utc_now() - timedelta(hours=1)  # the start has passed
    noshow = client.post(f"{_path(missed)}/no-show", headers=front_desk)
    assert noshow.status_code == 200, noshow.text
    assert noshow.json()["status"] == "noshow"
