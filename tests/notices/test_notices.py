"""Reminders and care notices (docs/domain.md#care-notices): the templates, a session's notices
kept in step with it, and the worker's ``session.notice_due`` events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from needleplan.notices import emitter
from tests.clock import at
from tests.conftest import Headers, RollbackDatabase
from tests.factories import (
    BERLIN,
    Clinic,
    booked,
    booking,
    future_day,
    local,
    make_client,
    make_clinic,
    treat,
)

DEFAULTS = {
    "pre_care_72h": ("pre_care", "start", -72 * 60),
    "reminder_24h": ("reminder", "start", -24 * 60),
    "reminder_2h": ("reminder", "start", -2 * 60),
    "aftercare_end": ("aftercare", "end", 0),
    "aftercare_sun_24h": ("aftercare", "end", 24 * 60),
}


@pytest.fixture
def clinic(client: TestClient, admin: Headers) -> Clinic:
    return make_clinic(client, admin, providers=1)


def _notices(client: TestClient, headers: Headers, session: dict[str, Any]) -> dict[str, Any]:
    response = client.get(f"/v1/sessions/{session['id']}/notices", headers=headers)
    assert response.status_code == 200, response.text
    return {item["code"]: item for item in response.json()["items"]}


def _expected_due(session: dict[str, Any], code: str) -> datetime:
    _, anchor, offset = DEFAULTS[code]
    at_anchor = datetime.fromisoformat(session["starts_at" if anchor == "start" else "ends_at"])
    return at_anchor + timedelta(minutes=offset)


def _notice_events(client: TestClient, headers: Headers) -> list[dict[str, Any]]:
    response = client.get(
        "/v1/events", params={"types": "session.notice_due", "limit": 200}, headers=headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_migrate_installs_the_defaults_every_key_reads(
    client: TestClient, integration: Headers
) -> None:
    response = client.get("/v1/care-notices", headers=integration)
    assert response.status_code == 200, response.text
    found = {
        n["code"]: (n["kind"], n["anchor"], n["offset_minutes"]) for n in response.json()["items"]
    }
    assert found == DEFAULTS
    pre_care = client.get("/v1/care-notices/pre_care_72h", headers=integration).json()
    assert "retinoids" in pre_care["text"]
    assert "sun" in pre_care["text"]
    assert "breakout" in pre_care["text"]
    aftercare = client.get("/v1/care-notices/aftercare_end", headers=integration).json()
    assert "cool compresses" in aftercare["text"].lower()
    assert "moisturiser" in aftercare["text"]


def test_booking_schedules_the_defaults_at_their_times(
    client: TestClient, clinic: Clinic, clinician: Headers, integration: Headers
) -> None:
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    notices = _notices(client, integration, session)
    assert set(notices) == set(DEFAULTS)
    for code, notice in notices.items():
        due = datetime.fromisoformat(notice["due_at"])
        assert due == _expected_due(session, code), code
        assert due.utcoffset() == datetime.fromisoformat(session["starts_at"]).utcoffset()
        assert (notice["state"], notice["kind"]) == ("scheduled", DEFAULTS[code][0])
        assert notice["session_version"] == 1
        assert notice["emitted_at"] is None
    # Listed by due time.
    response = client.get(f"/v1/sessions/{session['id']}/notices", headers=integration)
    dues = [datetime.fromisoformat(n["due_at"]) for n in response.json()["items"]]
    assert dues == sorted(dues)


def test_a_booking_an_hour_ahead_gets_no_reminder_or_pre_care(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = future_day(5)
    with at(datetime.fromisoformat(local(day, "09:00"))):
        person = make_client(client, clinician)
        session = booked(client, clinician, booking(clinic, person, local(day, "10:00")))
        notices = _notices(client, clinician, session)
    # Due 72 h, 24 h and 2 h before a start one hour away: all past, none announced late.
    assert set(notices) == {"aftercare_end", "aftercare_sun_24h"}


def test_moving_a_session_moves_its_pending_notices(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    moved = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"starts_at": local(future_day(12), "15:30")},
        headers={**clinician, "If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    notices = _notices(client, clinician, moved.json())
    assert set(notices) == set(DEFAULTS)
    for code, notice in notices.items():
        assert datetime.fromisoformat(notice["due_at"]) == _expected_due(moved.json(), code)
        assert (notice["state"], notice["session_version"]) == ("scheduled", 2)


def test_a_move_into_the_next_hours_cancels_the_reminders_now_past(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = future_day(5)
    with at(datetime.fromisoformat(local(day, "09:00"))):
        person = make_client(client, clinician)
        session = booked(client, clinician, booking(clinic, person, local(day, "19:00")))
        assert set(_notices(client, clinician, session)) == {
            "reminder_2h",
            "aftercare_end",
            "aftercare_sun_24h",
        }
        moved = client.patch(
            f"/v1/sessions/{session['id']}",
            json={"starts_at": local(day, "10:30")},
            headers={**clinician, "If-Match": '"1"'},
        )
        assert moved.status_code == 200, moved.text
        notices = _notices(client, clinician, moved.json())
    assert notices["reminder_2h"]["state"] == "cancelled"
    assert notices["aftercare_end"]["state"] == "scheduled"


def test_a_cancelled_sessions_notices_are_cancelled_and_never_emit(
    client: TestClient, clinic: Clinic, clinician: Headers, database: RollbackDatabase
) -> None:
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    cancelled = client.post(
        f"/v1/sessions/{session['id']}/cancel",
        json={"reason": "flu"},
        headers={**clinician, "If-Match": '"1"'},
    )
    assert cancelled.status_code == 200, cancelled.text
    notices = _notices(client, clinician, session)
    assert {n["state"] for n in notices.values()} == {"cancelled"}
    with at(datetime.fromisoformat(session["ends_at"]) + timedelta(days=3)):
        assert emitter.run_once(database) == 0
    assert _notice_events(client, clinician) == []


def test_the_worker_emits_each_due_notice_once(
    client: TestClient,
    clinic: Clinic,
    clinician: Headers,
    integration: Headers,
    database: RollbackDatabase,
) -> None:
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    a_day_before = datetime.fromisoformat(session["starts_at"]) - timedelta(hours=23)
    with at(a_day_before):
        assert emitter.run_once(database) == 2  # the pre-care and the 24 h reminder
        assert emitter.run_once(database) == 0
    events = _notice_events(client, integration)
    assert sorted(e["data"]["code"] for e in events) == ["pre_care_72h", "reminder_24h"]
    for event in events:
        assert event["subject"] == {"kind": "session", "id": session["id"]}
        data = event["data"]
        assert data["session_id"] == session["id"]
        assert data["client_id"] == person
        assert datetime.fromisoformat(data["due_at"]) == _expected_due(session, data["code"])
        assert data["kind"] == DEFAULTS[data["code"]][0]
        assert data["text"]
        assert not {"first_name", "last_name", "email", "notes"} & set(data)
    notices = _notices(client, clinician, session)
    assert notices["reminder_24h"]["state"] == "emitted"
    assert notices["reminder_24h"]["emitted_at"] is not None
    assert notices["reminder_2h"]["state"] == "scheduled"
    # The rest fall due later, once each.
    with at(datetime.fromisoformat(session["starts_at"]) - timedelta(minutes=90)):
        assert emitter.run_once(database) == 1
    with at(datetime.fromisoformat(session["ends_at"]) + timedelta(days=2)):
        assert emitter.run_once(database) == 2
        assert emitter.run_once(database) == 0
    codes = sorted(e["data"]["code"] for e in _notice_events(client, clinician))
    assert codes == sorted(DEFAULTS)


def test_a_reminder_still_unsent_at_the_start_is_dropped_and_the_aftercare_sent_late(
    client: TestClient, clinic: Clinic, clinician: Headers, database: RollbackDatabase
) -> None:
    """No worker ran while the reminders fell due: after the start they are cancelled rather
    than sent ("your session is tomorrow" helps nobody then); the aftercare still goes out."""
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    with at(datetime.fromisoformat(session["ends_at"]) + timedelta(days=2)):
        assert emitter.run_once(database) == 5
    states = {code: n["state"] for code, n in _notices(client, clinician, session).items()}
    assert states == {
        "pre_care_72h": "cancelled",
        "reminder_24h": "cancelled",
        "reminder_2h": "cancelled",
        "aftercare_end": "emitted",
        "aftercare_sun_24h": "emitted",
    }
    codes = sorted(e["data"]["code"] for e in _notice_events(client, clinician))
    assert codes == ["aftercare_end", "aftercare_sun_24h"]


def test_an_emitted_notice_is_due_again_when_its_session_moves_ahead(
    client: TestClient, clinic: Clinic, clinician: Headers, database: RollbackDatabase
) -> None:
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    with at(datetime.fromisoformat(session["starts_at"]) - timedelta(hours=70)):
        assert emitter.run_once(database) == 1  # the pre-care
        moved = client.patch(
            f"/v1/sessions/{session['id']}",
            json={"starts_at": local(future_day(17), "10:00")},
            headers={**clinician, "If-Match": '"1"'},
        )
        assert moved.status_code == 200, moved.text
    pre_care = _notices(client, clinician, session)["pre_care_72h"]
    assert (pre_care["state"], pre_care["session_version"]) == ("scheduled", 2)
    assert datetime.fromisoformat(pre_care["due_at"]) == _expected_due(moved.json(), "pre_care_72h")
    with at(datetime.fromisoformat(moved.json()["starts_at"]) - timedelta(hours=70)):
        assert emitter.run_once(database) == 1
    events = [e for e in _notice_events(client, clinician) if e["data"]["code"] == "pre_care_72h"]
    assert [e["data"]["session_version"] for e in events] == [1, 2]


def test_arrival_cancels_the_pending_reminders_and_keeps_the_aftercare(
    client: TestClient, clinic: Clinic, clinician: Headers, database: RollbackDatabase
) -> None:
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    fulfilled = treat(client, clinician, session)
    assert fulfilled["status"] == "fulfilled"
    states = {code: n["state"] for code, n in _notices(client, clinician, session).items()}
    assert states == {
        "pre_care_72h": "cancelled",
        "reminder_24h": "cancelled",
        "reminder_2h": "cancelled",
        "aftercare_end": "scheduled",
        "aftercare_sun_24h": "scheduled",
    }
    with at(datetime.fromisoformat(session["ends_at"]) + timedelta(days=2)):
        assert emitter.run_once(database) == 2
    codes = sorted(e["data"]["code"] for e in _notice_events(client, clinician))
    assert codes == ["aftercare_end", "aftercare_sun_24h"]


def test_filters_choose_the_sessions_and_a_switched_off_notice_is_not_emitted(
    client: TestClient,
    clinic: Clinic,
    admin: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    neck_only = {
        "code": "neck_care",
        "kind": "aftercare",
        "anchor": "end",
        "offset_minutes": 60,
        "areas": ["neck"],
        "text": "Keep collars loose today.",
    }
    created = client.post("/v1/care-notices", json=neck_only, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    person = make_client(client, clinician)
    face = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    neck = booked(
        client, clinician, booking(clinic, person, local(future_day(11), "10:00"), areas=["neck"])
    )
    assert "neck_care" not in _notices(client, clinician, face)
    assert _notices(client, clinician, neck)["neck_care"]["state"] == "scheduled"
    off = client.patch(
        "/v1/care-notices/neck_care",
        json={"active": False},
        headers={**admin, "If-Match": '"1"'},
    )
    assert off.status_code == 200, off.text
    with at(datetime.fromisoformat(neck["ends_at"]) + timedelta(hours=2)):
        emitter.run_once(database)
    assert _notices(client, clinician, neck)["neck_care"]["state"] == "cancelled"
    assert "neck_care" not in {e["data"]["code"] for e in _notice_events(client, clinician)}


def test_template_writes_are_checked(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    body = {
        "code": "checked",
        "kind": "reminder",
        "anchor": "start",
        "offset_minutes": -60,
        "text": "Soon.",
    }
    assert client.post("/v1/care-notices", json=body, headers=clinician).status_code == 403
    too_far = client.post(
        "/v1/care-notices", json={**body, "offset_minutes": -43201}, headers=admin
    )
    assert too_far.status_code == 422
    unknown_area = client.post("/v1/care-notices", json={**body, "areas": ["elbow"]}, headers=admin)
    assert unknown_area.status_code == 422
    assert "elbow" in unknown_area.json()["detail"]
    unknown_device = client.post(
        "/v1/care-notices", json={**body, "device": "no_such_device"}, headers=admin
    )
    assert unknown_device.status_code == 422
    assert unknown_device.json()["errors"][0]["field"] == "device"
    assert (
        client.post("/v1/care-notices", json={**body, "extra": 1}, headers=admin).status_code == 422
    )
    assert client.post("/v1/care-notices", json=body, headers=admin).status_code == 201
    assert client.post("/v1/care-notices", json=body, headers=admin).status_code == 409
    patch = {"offset_minutes": -90}
    assert client.patch("/v1/care-notices/checked", json=patch, headers=admin).status_code == 428
    stale = client.patch(
        "/v1/care-notices/checked", json=patch, headers={**admin, "If-Match": '"9"'}
    )
    assert stale.status_code == 412
    updated = client.patch(
        "/v1/care-notices/checked", json=patch, headers={**admin, "If-Match": '"1"'}
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["offset_minutes"], updated.json()["version"]) == (-90, 2)
    null_text = client.patch(
        "/v1/care-notices/checked", json={"text": None}, headers={**admin, "If-Match": '"2"'}
    )
    assert null_text.status_code == 422
    assert client.get("/v1/care-notices/nope", headers=clinician).status_code == 404


def test_an_unknown_session_has_no_notices(client: TestClient, clinician: Headers) -> None:
    response = client.get("/v1/sessions/no-such-session/notices", headers=clinician)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_due_times_keep_the_locations_offset_across_a_clock_change(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    """A session on the Monday after the autumn clock change: its 72 h pre-care falls on the
    Friday before, in summer time, 72 real hours before."""
    person = make_client(client, clinician)
    today = datetime.now(BERLIN).date()
    year = today.year + 1
    monday = next(
        d
        for d in (datetime(year, 10, 26, tzinfo=BERLIN) + timedelta(days=i) for i in range(7))
        if d.weekday() == 0
    ).date()
    session = booked(client, clinician, booking(clinic, person, local(monday, "10:00")))
    pre_care = _notices(client, clinician, session)["pre_care_72h"]
    due = datetime.fromisoformat(pre_care["due_at"])
    assert due.utcoffset() == timedelta(hours=2)
    assert datetime.fromisoformat(session["starts_at"]) - due == timedelta(hours=72)


def test_a_device_filter_picks_the_sessions_booked_with_that_device(
    client: TestClient, clinic: Clinic, admin: Headers, clinician: Headers
) -> None:
    rf = "rf_microneedling"
    room = client.get(f"/v1/rooms/{clinic.room_ids[1]}", headers=admin)
    held = client.patch(
        f"/v1/rooms/{clinic.room_ids[1]}",
        json={"device_codes": [rf]},
        headers={**admin, "If-Match": room.headers["ETag"]},
    )
    assert held.status_code == 200, held.text
    rf_care = {
        "code": "rf_care",
        "kind": "aftercare",
        "anchor": "end",
        "offset_minutes": 120,
        "device": rf,
        "text": "Heat and redness after RF micro-needling settle within a day or two.",
    }
    created = client.post("/v1/care-notices", json=rf_care, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["device"] == rf
    person = make_client(client, clinician)
    with_rf = booked(
        client,
        clinician,
        booking(clinic, person, local(future_day(10), "10:00"), room=1, device=rf),
    )
    without = booked(client, clinician, booking(clinic, person, local(future_day(11), "10:00")))
    notice = _notices(client, clinician, with_rf)["rf_care"]
    ends_at = datetime.fromisoformat(with_rf["ends_at"])
    assert datetime.fromisoformat(notice["due_at"]) == ends_at + timedelta(hours=2)
    assert "rf_care" not in _notices(client, clinician, without)


def test_a_due_notice_reaches_the_webhook_endpoints_that_want_it(
    client: TestClient,
    clinic: Clinic,
    admin: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    # A literal public address: the SSRF guard passes it without resolving a name.
    hook = {
        "url": "https://93.184.215.14/hook",
        "event_types": ["session.notice_due"],
        "role": "integration",
    }
    created = client.post("/v1/webhook-endpoints", json=hook, headers=admin)
    assert created.status_code == 201, created.text
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    with at(datetime.fromisoformat(session["starts_at"]) - timedelta(hours=23)):
        assert emitter.run_once(database) == 2
    deliveries = client.get(
        f"/v1/webhook-endpoints/{created.json()['id']}/deliveries", headers=admin
    ).json()["items"]
    events = {e["id"]: e for e in _notice_events(client, admin)}
    assert {d["event_type"] for d in deliveries} == {"session.notice_due"}
    assert {d["event_id"] for d in deliveries} == set(events)


def test_a_booked_course_and_a_converted_hold_get_their_notices(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    """Every way a session comes to be books its notices: several sessions in one transaction
    (a course proposal with ``book``), and a hold turned into a session."""
    person = make_client(client, clinician)
    plan = client.post(
        "/v1/treatment-plans",
        json={
            "client_id": person,
            "location_id": clinic.location_id,
            "areas": ["full_face"],
            "numbing": False,
            "sessions_planned": 3,
        },
        headers=front_desk,
    )
    assert plan.status_code == 201, plan.text
    course = client.post(
        f"/v1/treatment-plans/{plan.json()['id']}/course-proposal",
        json={"from": local(future_day(10), "10:00"), "book": True},
        headers=front_desk,
    )
    assert course.status_code == 201, course.text
    sessions = course.json()["sessions"]
    assert len(sessions) == 3
    for session in sessions:
        notices = _notices(client, front_desk, session)
        assert set(notices) == set(DEFAULTS)
        assert datetime.fromisoformat(notices["reminder_24h"]["due_at"]) == _expected_due(
            session, "reminder_24h"
        )
    other = make_client(client, clinician, name="Other")
    body = booking(clinic, other, local(future_day(9), "15:00"), room=2)
    hold = client.post("/v1/holds", json=body, headers=front_desk)
    assert hold.status_code == 201, hold.text
    converted = booked(client, front_desk, {**body, "hold_id": hold.json()["id"]})
    assert set(_notices(client, front_desk, converted)) == set(DEFAULTS)


def _edit_template(client: TestClient, admin: Headers, code: str, body: dict[str, Any]) -> None:
    current = client.get(f"/v1/care-notices/{code}", headers=admin)
    edited = client.patch(
        f"/v1/care-notices/{code}",
        json=body,
        headers={**admin, "If-Match": current.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.text


LATE_CARE = {
    "code": "late_care",
    "kind": "aftercare",
    "anchor": "end",
    "offset_minutes": 30,
    "text": "Added after the booking.",
}


def test_a_sent_notice_is_not_sent_again_and_nothing_moves_after_a_template_edit(
    client: TestClient,
    clinic: Clinic,
    admin: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    """The reviewer's reproduction: a notes-only PATCH after a template edit neither re-sends
    the 24 h reminder already emitted, nor moves the pending notices to the edited offsets, nor
    attaches a template created after the booking; a move afterwards does all three."""
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    starts_at = datetime.fromisoformat(session["starts_at"])
    with at(starts_at - timedelta(hours=23)):
        assert emitter.run_once(database) == 2  # the pre-care and the 24 h reminder
    _edit_template(client, admin, "reminder_24h", {"offset_minutes": -600})
    _edit_template(client, admin, "reminder_2h", {"offset_minutes": -180})
    assert client.post("/v1/care-notices", json=LATE_CARE, headers=admin).status_code == 201
    noted = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"notes": "x"},
        headers={**clinician, "If-Match": '"1"'},
    )
    assert noted.status_code == 200, noted.text
    assert noted.json()["version"] == 2
    notices = _notices(client, clinician, session)
    assert set(notices) == set(DEFAULTS)  # no late_care
    for code, notice in notices.items():
        assert datetime.fromisoformat(notice["due_at"]) == _expected_due(session, code), code
        assert notice["session_version"] == 1, code
    assert notices["reminder_24h"]["state"] == "emitted"
    assert notices["reminder_2h"]["state"] == "scheduled"
    with at(starts_at - timedelta(hours=9)):
        assert emitter.run_once(database) == 0
    with at(starts_at - timedelta(hours=2, minutes=30)):
        assert emitter.run_once(database) == 0  # the 2 h reminder kept its time
    codes = [e["data"]["code"] for e in _notice_events(client, clinician)]
    assert sorted(codes) == ["pre_care_72h", "reminder_24h"]

    # A move reads the templates as they are now.
    moved = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"starts_at": local(future_day(12), "10:00")},
        headers={**clinician, "If-Match": '"2"'},
    )
    assert moved.status_code == 200, moved.text
    new_start = datetime.fromisoformat(moved.json()["starts_at"])
    notices = _notices(client, clinician, session)
    assert set(notices) == {*DEFAULTS, "late_care"}
    reminder = notices["reminder_24h"]
    assert (reminder["state"], reminder["session_version"]) == ("scheduled", 3)
    assert datetime.fromisoformat(reminder["due_at"]) == new_start - timedelta(hours=10)
    assert datetime.fromisoformat(notices["reminder_2h"]["due_at"]) == new_start - timedelta(
        hours=3
    )
    late = datetime.fromisoformat(notices["late_care"]["due_at"])
    assert late == datetime.fromisoformat(moved.json()["ends_at"]) + timedelta(minutes=30)


def test_a_status_change_applies_to_the_notices_the_session_has(
    client: TestClient, clinic: Clinic, admin: Headers, clinician: Headers
) -> None:
    """Arrival and completion after template edits: the reminders are cancelled, the aftercare
    stays at the time it was scheduled for, and no template created since is attached."""
    person = make_client(client, clinician)
    session = booked(client, clinician, booking(clinic, person, local(future_day(10), "10:00")))
    _edit_template(client, admin, "aftercare_end", {"offset_minutes": 90})
    assert client.post("/v1/care-notices", json=LATE_CARE, headers=admin).status_code == 201
    treat(client, clinician, session)
    notices = _notices(client, clinician, session)
    assert set(notices) == set(DEFAULTS)
    for code, notice in notices.items():
        assert datetime.fromisoformat(notice["due_at"]) == _expected_due(session, code), code
    states = {code: n["state"] for code, n in notices.items()}
    assert states == {
        "pre_care_72h": "cancelled",
        "reminder_24h": "cancelled",
        "reminder_2h": "cancelled",
        "aftercare_end": "scheduled",
        "aftercare_sun_24h": "scheduled",
    }


def test_installing_the_default_notices_schedules_the_booked_calendar(
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    database: RollbackDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An upgrade to care notices: ``migrate`` installs the defaults into the empty table and
    schedules the notices of every booked session starting after now, in batches (of one here);
    past, started and cancelled sessions get none. Once the templates exist, installing again
    schedules nothing."""
    from sqlmodel import col, delete, select

    from needleplan.models import CareNotice, SessionNotice
    from needleplan.notices import service
    from needleplan.notices.catalogue import install_default_notices

    clinic = make_clinic(client, admin, providers=2)
    person = make_client(client, clinician)
    other = make_client(client, clinician, name="Other")
    started = booked(client, clinician, booking(clinic, person, local(future_day(3), "10:00")))
    same_time = [  # ordered by id within the same start, across a batch's end
        booked(
            client,
            clinician,
            booking(clinic, who, local(future_day(10), "10:00"), room=i, provider=i),
        )
        for i, who in enumerate((person, other))
    ]
    later = [
        booked(client, clinician, booking(clinic, person, local(future_day(d), "10:00")))
        for d in (11, 12, 13)
    ]
    cancelled = booked(client, clinician, booking(clinic, other, local(future_day(14), "10:00")))
    response = client.post(
        f"/v1/sessions/{cancelled['id']}/cancel",
        json={"reason": "flu"},
        headers={**clinician, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    # The state before care notices existed.
    with database.transaction() as db:
        db.exec(delete(SessionNotice))
        db.exec(delete(CareNotice))
    monkeypatch.setattr(service, "BATCH", 1)  # every page ends mid-calendar
    now = datetime.fromisoformat(started["starts_at"]) + timedelta(minutes=5)
    with at(now), database.transaction() as db:
        assert install_default_notices(db) == len(DEFAULTS)
    for session in [*same_time, *later]:
        notices = _notices(client, clinician, session)
        assert set(notices) == set(DEFAULTS), session["starts_at"]
        for code, notice in notices.items():
            assert datetime.fromisoformat(notice["due_at"]) == _expected_due(session, code)
            assert (notice["state"], notice["session_version"]) == ("scheduled", 1)
    assert _notices(client, clinician, started) == {}
    assert _notices(client, clinician, cancelled) == {}
    # Templates there: a later migrate schedules nothing.
    with database.transaction() as db:
        db.exec(delete(SessionNotice))
    with database.transaction() as db:
        assert install_default_notices(db) == 0
        assert db.exec(select(col(SessionNotice.id))).first() is None
