"""Listing sessions (GET /v1/sessions): filters and keyset pages."""

from __future__ import annotations

from dataclasses import dataclass

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
