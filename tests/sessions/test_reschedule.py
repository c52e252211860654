"""Rescheduling a booked session (PATCH /v1/sessions/{id}) and the moves it records."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from needleplan.models import SessionMove
from tests.conftest import Headers, RollbackDatabase
from tests.factories import Clinic, booked, booking, future_day, local, make_client


@pytest.fixture
def path(client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers) -> str:
    """Alice's session 10:00–10:40 (ETag "1"), with Bea's in the same room at 12:00."""
    day = future_day()
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    session = booked(client, front_desk, booking(clinic, a, local(day, "10:00")))
    booked(client, front_desk, booking(clinic, b, local(day, "12:00")))
    return f"/v1/sessions/{session['id']}"


def _move(client: TestClient, path: str, headers: Headers, etag: str, **change: Any) -> Any:
    return client.patch(path, json=change, headers={**headers, "If-Match": f'"{etag}"'})


def test_a_reschedule_needs_if_match(client: TestClient, path: str, front_desk: Headers) -> None:
    unconditional = client.patch(
        path, json={"starts_at": local(future_day(), "10:15")}, headers=front_desk
    )
    assert unconditional.status_code == 428


def test_a_move_may_overlap_the_sessions_own_old_time(
    client: TestClient, path: str, front_desk: Headers
) -> None:
    day = future_day()
    moved = _move(client, path, front_desk, "1", starts_at=local(day, "10:15"))
    assert moved.status_code == 200, moved.text
    assert (moved.json()["starts_at"], moved.json()["ends_at"]) == (
        local(day, "10:15"),
        local(day, "10:55"),
    )


def test_a_reschedule_against_a_stale_etag_is_refused(
    client: TestClient, path: str, front_desk: Headers
) -> None:
    day = future_day()
    assert _move(client, path, front_desk, "1", starts_at=local(day, "10:15")).status_code == 200
    stale = _move(client, path, front_desk, "1", starts_at=local(day, "10:30"))
    assert stale.status_code == 412


def test_a_move_onto_another_session_is_refused(
    client: TestClient, path: str, front_desk: Headers
) -> None:
    day = future_day()
    assert _move(client, path, front_desk, "1", starts_at=local(day, "10:15")).status_code == 200
    clash = _move(client, path, front_desk, "2", starts_at=local(day, "11:40"))
    assert clash.status_code == 409


def test_a_session_can_move_to_another_room_and_provider(
    client: TestClient, path: str, clinic: Clinic, front_desk: Headers
) -> None:
    elsewhere = _move(
        client,
        path,
        front_desk,
        "1",
        room_id=clinic.room_ids[1],
        provider_id=clinic.provider_ids[1],
        starts_at=local(future_day(), "12:00"),
    )
    assert elsewhere.status_code == 200, elsewhere.text
    assert (elsewhere.json()["room_id"], elsewhere.json()["provider_id"]) == (
        clinic.room_ids[1],
        clinic.provider_ids[1],
    )


def test_every_move_is_listed_with_where_and_when_it_went(
    client: TestClient, path: str, clinic: Clinic, front_desk: Headers
) -> None:
    day = future_day()
    assert _move(client, path, front_desk, "1", starts_at=local(day, "10:15")).status_code == 200
    elsewhere = _move(
        client,
        path,
        front_desk,
        "2",
        room_id=clinic.room_ids[1],
        provider_id=clinic.provider_ids[1],
        starts_at=local(day, "12:00"),
    )
    assert elsewhere.status_code == 200, elsewhere.text
    moves = client.get(f"{path}/moves", headers=front_desk).json()["items"]
    assert [(m["from_room_id"], m["to_room_id"]) for m in moves] == [
        (clinic.room_ids[0], clinic.room_ids[0]),
        (clinic.room_ids[0], clinic.room_ids[1]),
    ]
    assert [(m["from_starts_at"], m["to_starts_at"]) for m in moves] == [
        (local(day, "10:00"), local(day, "10:15")),
        (local(day, "10:15"), local(day, "12:00")),
    ]


def test_a_cancelled_session_cannot_be_rescheduled(
    client: TestClient, path: str, front_desk: Headers
) -> None:
    client.post(f"{path}/cancel", json={"reason": "moved away"}, headers=front_desk)
    refused = _move(client, path, front_desk, "2", starts_at=local(future_day(), "15:00"))
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/transition-not-allowed"


def test_a_move_keeps_the_booked_minutes(
    client: TestClient, path: str, admin: Headers, front_desk: Headers
) -> None:
    """The session was booked for 40 minutes; a longer minimum for its area since then does not
    stretch it when it moves."""
    edit = client.patch(
        "/v1/treatment-areas/full_face",
        json={"min_minutes": 60, "max_minutes": 90},
        headers={**admin, "If-Match": '"1"'},
    )
    assert edit.status_code == 200
    day = future_day()
    moved = _move(client, path, front_desk, "1", starts_at=local(day, "11:00"))
    assert moved.status_code == 200, moved.text
    assert moved.json()["ends_at"] == local(day, "11:40")


def test_a_change_of_notes_alone_moves_nothing(
    client: TestClient, path: str, front_desk: Headers, database: RollbackDatabase
) -> None:
    day = future_day()
    assert _move(client, path, front_desk, "1", starts_at=local(day, "11:00")).status_code == 200
    noted = _move(client, path, front_desk, "2", notes="prefers the window seat")
    assert noted.status_code == 200
    assert noted.json()["notes"] == "prefers the window seat"
    assert noted.json()["starts_at"] == local(day, "11:00")
    session_id = path.rsplit("/", 1)[1]
    with database.transaction() as db:
        moves = db.exec(select(SessionMove).where(SessionMove.session_id == session_id)).all()
    assert len(moves) == 1
