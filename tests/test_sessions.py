"""Booking sessions through the HTTP API (issue 4, docs/domain.md#sessions)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from needleplan.models import SessionMove
from tests.clock import at
from tests.conftest import Headers, RollbackDatabase
from tests.factories import Clinic, booking, future_day, local, make_client, make_clinic


@pytest.fixture
def clinic(client: TestClient, admin: Headers) -> Clinic:
    return make_clinic(client, admin, providers=2)


def _book(client: TestClient, headers: Headers, body: dict[str, Any]) -> Any:
    return client.post("/v1/sessions", json=body, headers=headers)


def _booked(client: TestClient, headers: Headers, body: dict[str, Any]) -> dict[str, Any]:
    response = _book(client, headers, body)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


def test_numbing_leaves_the_provider_free_but_not_the_room(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    day = future_day()
    a, b, c = (make_client(client, clinician, name=n) for n in ("Alice", "Bea", "Cleo"))
    session = _booked(
        client, front_desk, booking(clinic, a, local(day, "10:00"), room=0, numbing=True)
    )
    assert [(s["kind"], s["starts_at"], s["ends_at"], s["busy"]) for s in session["segments"]] == [
        ("numbing", local(day, "10:00"), local(day, "10:30"), ["client", "room"]),
        ("treatment", local(day, "10:30"), local(day, "11:10"), ["client", "provider", "room"]),
        ("turnover", local(day, "11:10"), local(day, "11:20"), ["room"]),
    ]
    assert session["ends_at"] == local(day, "11:10")
    second = _booked(
        client,
        front_desk,
        booking(clinic, b, local(day, "10:00"), room=1, areas=["under_eye"], intensity="light"),
    )
    assert second["ends_at"] == local(day, "10:15")
    third = _book(
        client, front_desk, booking(clinic, c, local(day, "10:30"), room=2, areas=["under_eye"])
    )
    assert third.status_code == 409
    problem = third.json()
    assert problem["type"] == "/problems/slot-taken"
    assert problem["conflicts"] == [
        {"resource": "provider", "id": clinic.provider_ids[0], "session_id": session["id"]}
    ]


def test_the_room_stays_busy_through_turnover(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    day = future_day()
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    first = _booked(client, front_desk, booking(clinic, a, local(day, "09:00"), areas=["lips"]))
    # lips: treatment until 09:15, then the room is cleaned until 09:25.
    clash = _book(
        client, front_desk, booking(clinic, b, local(day, "09:20"), provider=1, areas=["lips"])
    )
    assert clash.status_code == 409
    assert clash.json()["conflicts"] == [
        {"resource": "room", "id": clinic.room_ids[0], "session_id": first["id"]}
    ]
    assert (
        _book(
            client, front_desk, booking(clinic, b, local(day, "09:25"), provider=1, areas=["lips"])
        ).status_code
        == 201
    )


def test_a_client_cannot_be_in_two_rooms_at_once(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    day = future_day()
    a = make_client(client, clinician, name="Alice")
    first = _booked(client, front_desk, booking(clinic, a, local(day, "09:00"), numbing=True))
    clash = _book(
        client,
        front_desk,
        booking(clinic, a, local(day, "09:10"), room=1, provider=1, areas=["lips"]),
    )
    assert clash.status_code == 409
    assert clash.json()["conflicts"] == [{"resource": "client", "id": a, "session_id": first["id"]}]


def _next_dst_change(after: date) -> date:
    day = after
    while True:
        following = day + timedelta(days=1)
        if local(following, "12:00")[-6:] != local(day, "12:00")[-6:]:
            return following
        day = following


def test_dst_week_offsets_and_day_schedule(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    change = _next_dst_change(future_day(2))
    monday_after = change + timedelta(days=(7 - change.weekday()) % 7 or 7)
    monday_before = monday_after - timedelta(days=7)
    a = make_client(client, clinician, name="Alice")
    before = _booked(client, front_desk, booking(clinic, a, local(monday_before, "10:00")))
    after = _booked(client, front_desk, booking(clinic, a, local(monday_after, "10:00")))
    assert before["starts_at"].startswith(f"{monday_before.isoformat()}T10:00:00")
    assert after["starts_at"].startswith(f"{monday_after.isoformat()}T10:00:00")
    offsets = {before["starts_at"][-6:], after["starts_at"][-6:]}
    assert offsets == {"+01:00", "+02:00"}
    schedule = client.get(
        f"/v1/providers/{clinic.provider_ids[0]}/schedule",
        params={"date": monday_after.isoformat()},
        headers=front_desk,
    ).json()
    assert schedule["time_zone"] == "Europe/Berlin"
    assert [s["id"] for s in schedule["sessions"]] == [after["id"]]
    room_day = client.get(
        f"/v1/rooms/{clinic.room_ids[0]}/schedule",
        params={"date": monday_before.isoformat()},
        headers=front_desk,
    ).json()
    assert [s["id"] for s in room_day["sessions"]] == [before["id"]]


def test_contraindications_block_and_integrations_learn_no_condition(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    integration: Headers,
) -> None:
    a = make_client(client, clinician, name="Alice", conditions=("keloid_history",))
    body = booking(clinic, a, local(future_day(), "10:00"))
    refused = _book(client, front_desk, body)
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/not-eligible"
    assert [r["code"] for r in refused.json()["reasons"]] == ["keloid_history"]
    quiet = _book(client, integration, body)
    assert quiet.status_code == 422
    assert "reasons" not in quiet.json()
    assert "keloid" not in quiet.text


def test_no_screening_blocks_but_an_expiring_one_only_flags(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    unscreened = make_client(client, clinician, name="Una", screened=False)
    assert (
        _book(
            client, front_desk, booking(clinic, unscreened, local(future_day(), "10:00"))
        ).status_code
        == 422
    )
    screened = make_client(client, clinician, name="Sam")
    soon = _booked(client, front_desk, booking(clinic, screened, local(future_day(5), "10:00")))
    later = _booked(client, front_desk, booking(clinic, screened, local(future_day(45), "10:00")))
    assert soon["screening_due"] is False
    assert later["screening_due"] is True


def test_under_age_blocks(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    young = make_client(client, clinician, name="Yara", born=future_day(-365 * 20).isoformat())
    refused = _book(client, front_desk, booking(clinic, young, local(future_day(), "10:00")))
    assert [r["code"] for r in refused.json()["reasons"]] == ["under_age"]


def test_cautions_are_listed_and_must_be_acknowledged_before_arrival(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    integration: Headers,
) -> None:
    a = make_client(client, clinician, name="Alice", conditions=("sensitive_skin",))
    session = _booked(client, front_desk, booking(clinic, a, local(future_day(), "10:00")))
    assert session["cautions"] == [{"code": "sensitive_skin", "acknowledged": False}]
    assert (
        client.get(f"/v1/sessions/{session['id']}", headers=integration).json()["cautions"] is None
    )
    with at(local(future_day(), "09:30")):
        refused = client.post(f"/v1/sessions/{session['id']}/arrive", headers=front_desk)
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/cautions-unacknowledged"
    override = {
        "reason": "Patch test fine.",
        "codes": ["sensitive_skin"],
        "expires_on": future_day(30).isoformat(),
    }
    assert (
        client.post(
            f"/v1/clients/{a}/eligibility-overrides", json=override, headers=clinician
        ).status_code
        == 201
    )
    with at(local(future_day(), "09:30")):
        arrived = client.post(f"/v1/sessions/{session['id']}/arrive", headers=front_desk)
    assert arrived.status_code == 200, arrived.text
    assert arrived.json()["status"] == "arrived"
    assert arrived.json()["cautions"] == [{"code": "sensitive_skin", "acknowledged": True}]


def test_arrival_needs_a_screening_valid_today(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice", screened_on=future_day(-40))
    override = {
        "reason": "booked ahead",
        "codes": ["screening_expired"],
        "expires_on": future_day(-1).isoformat(),
    }
    client.post(f"/v1/clients/{a}/eligibility-overrides", json=override, headers=clinician)
    session = _booked(client, front_desk, booking(clinic, a, local(future_day(), "10:00")))
    with at(local(future_day(), "09:30")):
        refused = client.post(f"/v1/sessions/{session['id']}/arrive", headers=front_desk)
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/screening-expired"
    make_screening = {"screened_on": future_day(0).isoformat(), "conditions": []}
    assert (
        client.post(
            f"/v1/clients/{a}/screenings", json=make_screening, headers=clinician
        ).status_code
        == 201
    )
    with at(local(future_day(), "09:30")):
        arrived = client.post(f"/v1/sessions/{session['id']}/arrive", headers=front_desk)
    assert arrived.status_code == 200, arrived.text


@pytest.mark.parametrize(
    ("wall", "problem"), [("10:03", "off-slot-grid"), ("10:00:30", "off-slot-grid")]
)
def test_starts_must_lie_on_the_slot_grid(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    wall: str,
    problem: str,
) -> None:
    a = make_client(client, clinician, name="Alice")
    starts_at = f"{future_day().isoformat()}T{wall}{':00' if wall.count(':') == 1 else ''}+01:00"
    refused = _book(client, front_desk, booking(clinic, a, starts_at))
    assert refused.status_code == 422
    assert refused.json()["type"] == f"/problems/{problem}"


def test_the_past_cannot_be_booked(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice", screened_on=future_day(-3))
    refused = _book(client, front_desk, booking(clinic, a, local(future_day(-1), "10:00")))
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/insufficient-notice"
    assert refused.json()["detail"] == "The start is in the past."


def test_a_minimum_notice_is_named_in_minutes(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice", screened_on=future_day(-3))
    app: Any = client.app
    app.state.settings = app.state.settings.model_copy(update={"minimum_notice_minutes": 120})
    day = future_day(2)
    with at(local(day, "09:00")):
        soon = _book(client, front_desk, booking(clinic, a, local(day, "10:00")))
        past = _book(client, front_desk, booking(clinic, a, local(day, "08:00")))
        later = _book(client, front_desk, booking(clinic, a, local(day, "11:00")))
    assert soon.json()["type"] == "/problems/insufficient-notice"
    assert soon.json()["detail"] == (
        "The start is less than 120 minutes from now; sessions are booked at least 120 minutes ahead."
    )
    assert past.json()["detail"] == (
        "The start is in the past; sessions are booked at least 120 minutes ahead."
    )
    assert later.status_code == 201, later.text


def test_working_hours_cover_the_treatment_only(
    client: TestClient, admin: Headers, front_desk: Headers, clinician: Headers
) -> None:
    clinic = make_clinic(
        client,
        admin,
        opens="09:00",
        closes="17:00",
        days=["monday", "tuesday", "wednesday", "thursday", "friday"],
    )
    a = make_client(client, clinician, name="Alice")
    day = future_day(7)
    while day.isoweekday() != 3:  # a Wednesday
        day += timedelta(days=1)
    # Numbing from 08:30 needs the room and the client only; the treatment starts at 09:00.
    assert (
        _book(client, front_desk, booking(clinic, a, local(day, "08:30"), numbing=True)).status_code
        == 201
    )
    late = _book(client, front_desk, booking(clinic, a, local(day, "16:30")))  # 16:30–17:10
    assert late.status_code == 422
    assert late.json()["type"] == "/problems/outside-working-hours"
    saturday = day + timedelta(days=3)
    assert (
        _book(client, front_desk, booking(clinic, a, local(saturday, "10:00"))).status_code == 422
    )
    path = f"/v1/providers/{clinic.provider_ids[0]}/exceptions"
    extra = {
        "kind": "extra_hours",
        "location_id": clinic.location_id,
        "starts_at": local(saturday, "09:00"),
        "ends_at": local(saturday, "13:00"),
    }
    assert client.post(path, json=extra, headers=admin).status_code == 201
    assert (
        _book(client, front_desk, booking(clinic, a, local(saturday, "10:00"))).status_code == 201
    )
    thursday = day + timedelta(days=1)
    off = {
        "kind": "time_off",
        "starts_at": local(thursday, "12:00"),
        "ends_at": local(thursday, "14:00"),
    }
    assert client.post(path, json=off, headers=admin).status_code == 201
    assert (
        _book(client, front_desk, booking(clinic, a, local(thursday, "11:30"))).status_code == 422
    )
    assert (
        _book(client, front_desk, booking(clinic, a, local(thursday, "14:00"))).status_code == 201
    )


def test_body_references_are_checked(
    client: TestClient, clinic: Clinic, admin: Headers, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    body = booking(clinic, a, local(future_day(), "10:00"))
    missing = _book(client, front_desk, {**body, "provider_id": "nope"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "provider_id"
    elsewhere = make_clinic(client, admin, rooms=1, providers=0)
    wrong_room = _book(client, front_desk, {**body, "room_id": elsewhere.room_ids[0]})
    assert wrong_room.status_code == 422
    assert wrong_room.json()["errors"][0]["field"] == "room_id"
    with_end = _book(client, front_desk, {**body, "ends_at": local(future_day(), "11:00")})
    assert with_end.status_code == 422
    assert with_end.json()["errors"][0]["field"] == "ends_at"
    naive = _book(client, front_desk, {**body, "starts_at": f"{future_day().isoformat()}T10:00:00"})
    assert naive.status_code == 422


def test_lifecycle(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    integration: Headers,
) -> None:
    a = make_client(client, clinician, name="Alice")
    body = booking(clinic, a, local(future_day(), "10:00"))
    session = _booked(client, integration, body)
    path = f"/v1/sessions/{session['id']}"
    assert (
        client.post(f"{path}/no-show", headers=front_desk).status_code == 409
    )  # not before the start
    assert client.post(f"{path}/complete", headers=front_desk).status_code == 409  # not arrived
    assert (
        client.post(f"{path}/cancel", json={}, headers=integration).status_code == 422
    )  # reason needed
    assert client.post(f"{path}/entered-in-error", headers=front_desk).status_code == 403
    stale = client.post(
        f"{path}/cancel", json={"reason": "flu"}, headers={**integration, "If-Match": '"7"'}
    )
    assert stale.status_code == 412
    cancelled = client.post(
        f"{path}/cancel", json={"reason": "flu"}, headers={**integration, "If-Match": '"1"'}
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "flu")
    assert cancelled.headers["ETag"] == '"2"'
    # The slot is free again, and the cancelled session stays readable.
    again = _booked(client, integration, body)
    assert client.get(path, headers=front_desk).json()["status"] == "cancelled"
    with at(local(future_day(), "10:00")):
        arrived = client.post(f"/v1/sessions/{again['id']}/arrive", headers=front_desk)
        assert arrived.status_code == 200
        assert (
            client.post(
                f"/v1/sessions/{again['id']}/cancel", json={"reason": "x"}, headers=front_desk
            ).status_code
            == 409
        )
        done = client.post(f"/v1/sessions/{again['id']}/complete", headers=front_desk)
    assert done.json()["status"] == "fulfilled"


def test_refused_transitions_read_as_sentences(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    session = _booked(client, front_desk, booking(clinic, a, local(future_day(), "10:00")))
    path = f"/v1/sessions/{session['id']}"
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


def test_reschedule(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    day = future_day()
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    session = _booked(client, front_desk, booking(clinic, a, local(day, "10:00")))
    _booked(client, front_desk, booking(clinic, b, local(day, "12:00")))
    path = f"/v1/sessions/{session['id']}"
    assert (
        client.patch(path, json={"starts_at": local(day, "10:15")}, headers=front_desk).status_code
        == 428
    )
    # Moving by 15 minutes overlaps the session's own old time, which does not count.
    moved = client.patch(
        path, json={"starts_at": local(day, "10:15")}, headers={**front_desk, "If-Match": '"1"'}
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["starts_at"], moved.json()["ends_at"]) == (
        local(day, "10:15"),
        local(day, "10:55"),
    )
    stale = client.patch(
        path, json={"starts_at": local(day, "10:30")}, headers={**front_desk, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    clash = client.patch(
        path, json={"starts_at": local(day, "11:40")}, headers={**front_desk, "If-Match": '"2"'}
    )
    assert clash.status_code == 409
    elsewhere = client.patch(
        path,
        json={
            "room_id": clinic.room_ids[1],
            "provider_id": clinic.provider_ids[1],
            "starts_at": local(day, "12:00"),
        },
        headers={**front_desk, "If-Match": '"2"'},
    )
    assert elsewhere.status_code == 200, elsewhere.text
    assert (elsewhere.json()["room_id"], elsewhere.json()["provider_id"]) == (
        clinic.room_ids[1],
        clinic.provider_ids[1],
    )
    moves = client.get(f"{path}/moves", headers=front_desk).json()["items"]
    assert [(m["from_room_id"], m["to_room_id"]) for m in moves] == [
        (clinic.room_ids[0], clinic.room_ids[0]),
        (clinic.room_ids[0], clinic.room_ids[1]),
    ]
    assert [(m["from_starts_at"], m["to_starts_at"]) for m in moves] == [
        (local(day, "10:00"), local(day, "10:15")),
        (local(day, "10:15"), local(day, "12:00")),
    ]
    client.post(f"{path}/cancel", json={"reason": "moved away"}, headers=front_desk)
    refused = client.patch(
        path, json={"starts_at": local(day, "15:00")}, headers={**front_desk, "If-Match": '"4"'}
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/transition-not-allowed"


def test_list_filters_and_pages(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    day = future_day()
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    ids = [
        _booked(client, front_desk, booking(clinic, a, local(day, wall), areas=["lips"]))["id"]
        for wall in ("09:00", "10:00", "11:00")
    ]
    other = _booked(
        client,
        front_desk,
        booking(clinic, b, local(day, "09:00"), room=1, provider=1, areas=["lips"]),
    )
    by_client = client.get(
        "/v1/sessions", params={"client_id": a, "limit": 2}, headers=front_desk
    ).json()
    rest = client.get(
        "/v1/sessions",
        params={"client_id": a, "limit": 2, "cursor": by_client["next_cursor"]},
        headers=front_desk,
    ).json()
    assert [s["id"] for s in by_client["items"] + rest["items"]] == ids
    window = client.get(
        "/v1/sessions",
        params={"from": local(day, "09:50"), "to": local(day, "10:30")},
        headers=front_desk,
    ).json()
    assert [s["id"] for s in window["items"]] == [ids[1]]
    by_room = client.get(
        "/v1/sessions", params={"room_id": clinic.room_ids[1]}, headers=front_desk
    ).json()
    assert [s["id"] for s in by_room["items"]] == [other["id"]]
    client.post(f"/v1/sessions/{ids[0]}/cancel", json={"reason": "x"}, headers=front_desk)
    cancelled = client.get(
        "/v1/sessions", params={"status": "cancelled"}, headers=front_desk
    ).json()
    assert [s["id"] for s in cancelled["items"]] == [ids[0]]
    naive = client.get(
        "/v1/sessions", params={"from": f"{day.isoformat()}T09:00:00"}, headers=front_desk
    )
    assert naive.status_code == 422


def test_integrations_never_read_notes(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    integration: Headers,
) -> None:
    a = make_client(client, clinician, name="Alice")
    session = _booked(
        client,
        front_desk,
        booking(clinic, a, local(future_day(), "10:00"), notes="nervous about needles"),
    )
    assert session["notes"] == "nervous about needles"
    assert client.get(f"/v1/sessions/{session['id']}", headers=integration).json()["notes"] is None


def test_a_retried_booking_is_not_booked_twice(
    client: TestClient, clinic: Clinic, integration: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    headers = {**integration, "Idempotency-Key": "checkout-42"}
    body = booking(clinic, a, local(future_day(), "10:00"))
    first = client.post("/v1/sessions", json=body, headers=headers)
    again = client.post("/v1/sessions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    listed = client.get("/v1/sessions", params={"client_id": a}, headers=integration).json()[
        "items"
    ]
    assert len(listed) == 1


def test_mistakes_and_no_shows(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    from needleplan.kit.time import utc_now
    from needleplan.models import TreatmentSession

    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    mistake = _booked(client, front_desk, booking(clinic, a, local(future_day(), "10:00")))
    marked = client.post(f"/v1/sessions/{mistake['id']}/entered-in-error", headers=clinician)
    assert marked.status_code == 200
    assert marked.json()["status"] == "entered-in-error"
    # The slot is free again.
    _booked(client, front_desk, booking(clinic, b, local(future_day(), "10:00")))
    missed = _booked(client, front_desk, booking(clinic, a, local(future_day(), "14:00")))
    with database.transaction() as db:
        row = db.get(TreatmentSession, missed["id"])
        assert row is not None
        row.starts_at = utc_now() - timedelta(hours=1)  # the start has passed
    noshow = client.post(f"/v1/sessions/{missed['id']}/no-show", headers=front_desk)
    assert noshow.status_code == 200, noshow.text
    assert noshow.json()["status"] == "noshow"


def test_a_move_keeps_the_booked_minutes_and_notes_alone_move_nothing(
    client: TestClient,
    clinic: Clinic,
    admin: Headers,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    day = future_day()
    a = make_client(client, clinician, name="Alice")
    session = _booked(client, front_desk, booking(clinic, a, local(day, "10:00")))  # 40 min
    edit = client.patch(
        "/v1/treatment-areas/full_face",
        json={"min_minutes": 60, "max_minutes": 90},
        headers={**admin, "If-Match": '"1"'},
    )
    assert edit.status_code == 200
    path = f"/v1/sessions/{session['id']}"
    moved = client.patch(
        path, json={"starts_at": local(day, "11:00")}, headers={**front_desk, "If-Match": '"1"'}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["ends_at"] == local(day, "11:40")
    noted = client.patch(
        path, json={"notes": "prefers the window seat"}, headers={**front_desk, "If-Match": '"2"'}
    )
    assert noted.status_code == 200
    assert noted.json()["notes"] == "prefers the window seat"
    assert noted.json()["starts_at"] == local(day, "11:00")
    with database.transaction() as db:
        moves = db.exec(select(SessionMove).where(SessionMove.session_id == session["id"])).all()
    assert len(moves) == 1


def test_a_forged_instant_cursor_is_400_not_500(client: TestClient, front_desk: Headers) -> None:
    import base64
    import json

    raw = json.dumps({"after": ["2026-01-01T00:00:00", "x"]}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get("/v1/sessions", params={"cursor": cursor}, headers=front_desk)
    assert response.status_code == 400


def test_the_busy_day_summary_can_be_rebuilt_from_the_blocks(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    """After someone edits the summary by hand, `needleplan rebuild-busy-days` (this function)
    restores it; the fixture's teardown check then finds it matching the blocks again."""
    from sqlalchemy import text

    from needleplan.sessions.busy_days import rebuild
    from tests.busy_day_check import summary_mismatches

    day = future_day()
    for name, hour, room in (("Early", "10:00", 0), ("Later", "12:00", 1)):
        person = make_client(client, clinician, name=name)
        _booked(client, front_desk, booking(clinic, person, local(day, hour), room=room))
    with database.transaction() as db:
        db.execute(
            text("DELETE FROM busy_days WHERE resource_id = :id"), {"id": clinic.room_ids[0]}
        )
        db.execute(text("UPDATE busy_days SET minutes = replace(minutes, '0', '1')"))
    assert summary_mismatches(database.connection)
    with database.transaction() as db:
        rows = rebuild(db)
    assert summary_mismatches(database.connection) == []
    assert rows == 5  # one provider, two rooms and two clients busy on that day
