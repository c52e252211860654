"""Listing sessions (GET /v1/sessions): filters and keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Headers
from tests.factories import Clinic, booked, booking, future_day, local, make_client


@dataclass(frozen=True)
class Listed:
    client_id: str
    ids: list[str]  # Alice's sessions at 09:00, 10:00 and 11:00 in room 0
    other: str  # Bea's at 09:00 in room 1


@pytest.fixture
def listed(client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers) -> Listed:
    day = future_day()
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    ids = [
        booked(client, front_desk, booking(clinic, a, local(day, wall), areas=["lips"]))["id"]
        for wall in ("09:00", "10:00", "11:00")
    ]
    other = booked(
        client,
        front_desk,
        booking(clinic, b, local(day, "09:00"), room=1, provider=1, areas=["lips"]),
    )
    return Listed(client_id=a, ids=ids, other=other["id"])


def test_a_clients_sessions_page_in_start_order(
    client: TestClient, listed: Listed, front_desk: Headers
) -> None:
    by_client = client.get(
        "/v1/sessions", params={"client_id": listed.client_id, "limit": 2}, headers=front_desk
    ).json()
    rest = client.get(
        "/v1/sessions",
        params={"client_id": listed.client_id, "limit": 2, "cursor": by_client["next_cursor"]},
        headers=front_desk,
    ).json()
    assert [s["id"] for s in by_client["items"] + rest["items"]] == listed.ids


def test_a_time_window_lists_the_sessions_in_it(
    client: TestClient, listed: Listed, front_desk: Headers
) -> None:
    day = future_day()
    window = client.get(
        "/v1/sessions",
        params={"from": local(day, "09:50"), "to": local(day, "10:30")},
        headers=front_desk,
    ).json()
    assert [s["id"] for s in window["items"]] == [listed.ids[1]]


def test_a_room_lists_its_own_sessions(
    client: TestClient, listed: Listed, clinic: Clinic, front_desk: Headers
) -> None:
    by_room = client.get(
        "/v1/sessions", params={"room_id": clinic.room_ids[1]}, headers=front_desk
    ).json()
    assert [s["id"] for s in by_room["items"]] == [listed.other]


def test_a_status_lists_the_sessions_in_it(
    client: TestClient, listed: Listed, front_desk: Headers
) -> None:
    first = listed.ids[0]
    client.post(f"/v1/sessions/{first}/cancel", json={"reason": "x"}, headers=front_desk)
    cancelled = client.get(
        "/v1/sessions", params={"status": "cancelled"}, headers=front_desk
    ).json()
    assert [s["id"] for s in cancelled["items"]] == [first]


def test_a_window_without_an_offset_is_refused(
    client: TestClient, listed: Listed, front_desk: Headers
) -> None:
    naive = client.get(
        "/v1/sessions", params={"from": f"{future_day().isoformat()}T09:00:00"}, headers=front_desk
    )
    assert naive.status_code == 422


def test_a_forged_instant_cursor_is_400_not_500(client: TestClient, front_desk: Headers) -> None:
    import base64
    import json

    raw = json.dumps({"after": ["2026-01-01T00:00:00", "x"]}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get("/v1/sessions", params={"cursor": cursor}, headers=front_desk)
    assert response.status_code == 400


def test_a_providers_day_follows_its_locations_zone_at_once(
    client: TestClient, clinic: Clinic, admin: Headers, front_desk: Headers, clinician: Headers
) -> None:
    """A provider's day is in their location's zone as it is now: a zone changed between two
    reads is in the very next one, and so is a day without sessions."""
    day = future_day()
    person = make_client(client, clinician, name="Alice")
    session = booked(client, front_desk, booking(clinic, person, local(day, "10:00")))
    path = f"/v1/providers/{clinic.provider_ids[0]}/schedule"

    def schedule(on: str) -> dict[str, object]:
        answer = client.get(path, params={"date": on}, headers=front_desk)
        assert answer.status_code == 200, answer.text
        read: dict[str, object] = answer.json()
        return read

    for _ in range(2):  # the second read answered from kept renders
        berlin = schedule(day.isoformat())
        assert berlin["time_zone"] == "Europe/Berlin"
        assert berlin["sessions"] == [
            client.get(f"/v1/sessions/{session['id']}", headers=front_desk).json()
        ]
    empty = schedule((day + timedelta(days=1)).isoformat())
    assert (empty["time_zone"], empty["sessions"]) == ("Europe/Berlin", [])

    location = client.get(f"/v1/locations/{clinic.location_id}", headers=admin)
    moved = client.patch(
        f"/v1/locations/{clinic.location_id}",
        json={"time_zone": "America/New_York"},
        headers={**admin, "If-Match": location.headers["ETag"]},
    )
    assert moved.status_code == 200, moved.text
    new_york = schedule(day.isoformat())  # 10:00 in Berlin is 04:00 the same day in New York
    assert new_york["time_zone"] == "America/New_York"
    (shown,) = new_york["sessions"]  # type: ignore[misc]
    assert shown["id"] == session["id"]
    assert (
        shown["starts_at"]
        == datetime.fromisoformat(session["starts_at"])
        .astimezone(ZoneInfo("America/New_York"))
        .isoformat()
    )
