"""Booking sessions through the HTTP API (issue 4, docs/domain.md#sessions): what may share a
slot, who may be booked, when, and within which working hours."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.clock import at
from tests.conftest import Headers, RollbackDatabase
from tests.factories import (
    Clinic,
    booked,
    booking,
    future_day,
    local,
    make_client,
    make_clinic,
    post_booking,
)


def test_numbing_leaves_the_provider_free_but_not_the_room(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    day = future_day()
    a, b, c = (make_client(client, clinician, name=n) for n in ("Alice", "Bea", "Cleo"))
    session = booked(
        client, front_desk, booking(clinic, a, local(day, "10:00"), room=0, numbing=True)
    )
    assert [(s["kind"], s["starts_at"], s["ends_at"], s["busy"]) for s in session["segments"]] == [
        ("numbing", local(day, "10:00"), local(day, "10:30"), ["client", "room"]),
        ("treatment", local(day, "10:30"), local(day, "11:10"), ["client", "provider", "room"]),
        ("turnover", local(day, "11:10"), local(day, "11:20"), ["room"]),
    ]
    assert session["ends_at"] == local(day, "11:10")
    second = booked(
        client,
        front_desk,
        booking(clinic, b, local(day, "10:00"), room=1, areas=["under_eye"], intensity="light"),
    )
    assert second["ends_at"] == local(day, "10:15")
    third = post_booking(
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
    first = booked(client, front_desk, booking(clinic, a, local(day, "09:00"), areas=["lips"]))
    # lips: treatment until 09:15, then the room is cleaned until 09:25.
    clash = post_booking(
        client, front_desk, booking(clinic, b, local(day, "09:20"), provider=1, areas=["lips"])
    )
    assert clash.status_code == 409
    assert clash.json()["conflicts"] == [
        {"resource": "room", "id": clinic.room_ids[0], "session_id": first["id"]}
    ]
    assert (
        post_booking(
            client, front_desk, booking(clinic, b, local(day, "09:25"), provider=1, areas=["lips"])
        ).status_code
        == 201
    )


def test_a_client_cannot_be_in_two_rooms_at_once(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    day = future_day()
    a = make_client(client, clinician, name="Alice")
    first = booked(client, front_desk, booking(clinic, a, local(day, "09:00"), numbing=True))
    clash = post_booking(
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
    before = booked(client, front_desk, booking(clinic, a, local(monday_before, "10:00")))
    after = booked(client, front_desk, booking(clinic, a, local(monday_after, "10:00")))
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
    refused = post_booking(client, front_desk, body)
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/not-eligible"
    assert [r["code"] for r in refused.json()["reasons"]] == ["keloid_history"]
    quiet = post_booking(client, integration, body)
    assert quiet.status_code == 422
    assert "reasons" not in quiet.json()
    assert "keloid" not in quiet.text


def test_no_screening_blocks_but_an_expiring_one_only_flags(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    unscreened = make_client(client, clinician, name="Una", screened=False)
    assert (
        post_booking(
            client, front_desk, booking(clinic, unscreened, local(future_day(), "10:00"))
        ).status_code
        == 422
    )
    screened = make_client(client, clinician, name="Sam")
    soon = booked(client, front_desk, booking(clinic, screened, local(future_day(5), "10:00")))
    later = booked(client, front_desk, booking(clinic, screened, local(future_day(45), "10:00")))
    assert soon["screening_due"] is False
    assert later["screening_due"] is True


def test_under_age_blocks(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    young = make_client(client, clinician, name="Yara", born=future_day(-365 * 20).isoformat())
    refused = post_booking(client, front_desk, booking(clinic, young, local(future_day(), "10:00")))
    assert [r["code"] for r in refused.json()["reasons"]] == ["under_age"]


def test_cautions_are_listed_and_must_be_acknowledged_before_arrival(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    integration: Headers,
) -> None:
    a = make_client(client, clinician, name="Alice", conditions=("sensitive_skin",))
    session = booked(client, front_desk, booking(clinic, a, local(future_day(), "10:00")))
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
    session = booked(client, front_desk, booking(clinic, a, local(future_day(), "10:00")))
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
    refused = post_booking(client, front_desk, booking(clinic, a, starts_at))
    assert refused.status_code == 422
    assert refused.json()["type"] == f"/problems/{problem}"


def test_the_past_cannot_bebooked(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice", screened_on=future_day(-3))
    refused = post_booking(client, front_desk, booking(clinic, a, local(future_day(-1), "10:00")))
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
        soon = post_booking(client, front_desk, booking(clinic, a, local(day, "10:00")))
        past = post_booking(client, front_desk, booking(clinic, a, local(day, "08:00")))
        later = post_booking(client, front_desk, booking(clinic, a, local(day, "11:00")))
    assert soon.json()["type"] == "/problems/insufficient-notice"
    assert soon.json()["detail"] == (
        "The start is less than 120 minutes from now; sessions are booked at least 120 minutes ahead."
    )
    assert past.json()["detail"] == (
        "The start is in the past; sessions are booked at least 120 minutes ahead."
    )
    assert later.status_code == 201, later.text


def test_body_references_are_checked(
    client: TestClient, clinic: Clinic, admin: Headers, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    body = booking(clinic, a, local(future_day(), "10:00"))
    missing = post_booking(client, front_desk, {**body, "provider_id": "nope"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "provider_id"
    elsewhere = make_clinic(client, admin, rooms=1, providers=0)
    wrong_room = post_booking(client, front_desk, {**body, "room_id": elsewhere.room_ids[0]})
    assert wrong_room.status_code == 422
    assert wrong_room.json()["errors"][0]["field"] == "room_id"
    with_end = post_booking(client, front_desk, {**body, "ends_at": local(future_day(), "11:00")})
    assert with_end.status_code == 422
    assert with_end.json()["errors"][0]["field"] == "ends_at"
    naive = post_booking(
        client, front_desk, {**body, "starts_at": f"{future_day().isoformat()}T10:00:00"}
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
    session = booked(
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
        booked(client, front_desk, booking(clinic, person, local(day, hour), room=room))
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


@pytest.fixture
def weekday_clinic(client: TestClient, admin: Headers) -> Clinic:
    """Open 09:00–17:00, Monday to Friday."""
    return make_clinic(
        client,
        admin,
        opens="09:00",
        closes="17:00",
        days=["monday", "tuesday", "wednesday", "thursday", "friday"],
    )


def _a_wednesday() -> date:
    day = future_day(7)
    while day.isoweekday() != 3:
        day += timedelta(days=1)
    return day


def test_numbing_may_start_before_the_working_hours(
    client: TestClient, weekday_clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    # Numbing from 08:30 needs the room and the client only; the treatment starts at 09:00.
    body = booking(weekday_clinic, a, local(_a_wednesday(), "08:30"), numbing=True)
    assert post_booking(client, front_desk, body).status_code == 201


def test_a_treatment_cannot_run_past_the_working_hours(
    client: TestClient, weekday_clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    late = post_booking(
        client, front_desk, booking(weekday_clinic, a, local(_a_wednesday(), "16:30"))
    )  # 16:30–17:10
    assert late.status_code == 422
    assert late.json()["type"] == "/problems/outside-working-hours"


def test_extra_hours_open_a_day_off_for_booking(
    client: TestClient,
    weekday_clinic: Clinic,
    admin: Headers,
    front_desk: Headers,
    clinician: Headers,
) -> None:
    a = make_client(client, clinician, name="Alice")
    saturday = _a_wednesday() + timedelta(days=3)
    body = booking(weekday_clinic, a, local(saturday, "10:00"))
    assert post_booking(client, front_desk, body).status_code == 422
    extra = {
        "kind": "extra_hours",
        "location_id": weekday_clinic.location_id,
        "starts_at": local(saturday, "09:00"),
        "ends_at": local(saturday, "13:00"),
    }
    path = f"/v1/providers/{weekday_clinic.provider_ids[0]}/exceptions"
    assert client.post(path, json=extra, headers=admin).status_code == 201
    assert post_booking(client, front_desk, body).status_code == 201


def test_time_off_closes_only_its_own_hours(
    client: TestClient,
    weekday_clinic: Clinic,
    admin: Headers,
    front_desk: Headers,
    clinician: Headers,
) -> None:
    a = make_client(client, clinician, name="Alice")
    thursday = _a_wednesday() + timedelta(days=1)
    off = {
        "kind": "time_off",
        "starts_at": local(thursday, "12:00"),
        "ends_at": local(thursday, "14:00"),
    }
    path = f"/v1/providers/{weekday_clinic.provider_ids[0]}/exceptions"
    assert client.post(path, json=off, headers=admin).status_code == 201
    for wall, status in (("11:30", 422), ("14:00", 201)):
        body = booking(weekday_clinic, a, local(thursday, wall))
        assert post_booking(client, front_desk, body).status_code == status, wall
