"""A session's event payloads are rendered once at commit, from what the booking already
computed (the session, its zone, its eligibility verdict): each role's payload must still be
exactly what that role's GET answers."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Headers
from tests.factories import booked, booking, future_day, local, make_client, make_clinic


def _session_events(client: TestClient, headers: Headers, session_id: str) -> list[dict[str, Any]]:
    response = client.get(
        "/v1/events", params={"types": "session.*", "limit": 100}, headers=headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return [e for e in items if e["subject"]["id"] == session_id]


def _get(client: TestClient, headers: Headers, session_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/sessions/{session_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_role_reads_its_get_in_the_session_events(
    client: TestClient, admin: Headers, clinician: Headers, integration: Headers
) -> None:
    clinic = make_clinic(client, admin, providers=1)
    person = make_client(client, clinician, conditions=("sensitive_skin",))
    day = future_day(10)
    body = {**booking(clinic, person, local(day, "10:00")), "notes": "nervous"}
    session = booked(client, clinician, body)
    assert session["cautions"] == [{"code": "sensitive_skin", "acknowledged": False}]
    for headers in (admin, integration):
        [event] = _session_events(client, headers, session["id"])
        assert event["type"] == "session.booked"
        assert event["data"] == _get(client, headers, session["id"])
    # A move and a notes change render the same way.
    moved = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"starts_at": local(day, "14:00")},
        headers={**clinician, "If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    noted = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"notes": "calm now"},
        headers={**clinician, "If-Match": '"2"'},
    )
    assert noted.status_code == 200, noted.text
    for headers in (admin, integration):
        events = _session_events(client, headers, session["id"])
        assert [e["type"] for e in events] == [
            "session.booked",
            "session.rescheduled",
            "session.updated",
        ]
        assert events[-1]["data"] == _get(client, headers, session["id"])
        assert events[1]["data"]["version"] == 2
    admin_events = _session_events(client, admin, session["id"])
    assert admin_events[1]["data"]["notes"] == "nervous"
    assert admin_events[1]["data"]["cautions"] == session["cautions"]
    assert _session_events(client, integration, session["id"])[1]["data"]["notes"] is None
