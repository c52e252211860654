"""Devices (issue 15, point 2): the catalogue, rooms holding devices, and a device's minutes and
rooms in quotes, holds, bookings, availability and proposals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Headers
from tests.factories import Clinic, booking, future_day, local, make_client, make_clinic

RF = "rf_microneedling"
DEVICE = {
    "code": "fractional_rf",
    "name": "Fractional RF",
    "area_minutes": {"full_face": {"min_minutes": 50, "max_minutes": 70}},
}


def _minutes(session: dict[str, Any], kind: str = "treatment") -> int:
    segment = next(s for s in session["segments"] if s["kind"] == kind)
    start = datetime.fromisoformat(segment["starts_at"])
    return int((datetime.fromisoformat(segment["ends_at"]) - start).total_seconds() // 60)


def _hold_devices(client: TestClient, admin: Headers, room_id: str, codes: list[str]) -> None:
    room = client.get(f"/v1/rooms/{room_id}", headers=admin)
    patched = client.patch(
        f"/v1/rooms/{room_id}",
        json={"device_codes": codes},
        headers={**admin, "If-Match": room.headers["ETag"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["device_codes"] == codes


def _rf_clinic(client: TestClient, admin: Headers) -> Clinic:
    """Three rooms; only the second holds the RF device (the pen is in every room)."""
    clinic = make_clinic(client, admin, rooms=3, providers=2)
    for index, room_id in enumerate(clinic.room_ids):
        codes = ["microneedling_pen", RF] if index == 1 else ["microneedling_pen"]
        _hold_devices(client, admin, room_id, codes)
    return clinic


# The catalogue


def test_migrate_installs_the_default_devices(client: TestClient, integration: Headers) -> None:
    items = client.get("/v1/devices?limit=200", headers=integration).json()["items"]
    by_code = {d["code"]: d for d in items}
    assert by_code["microneedling_pen"]["area_minutes"] == {}
    assert by_code["microneedling_pen"]["name"] == "Microneedling pen"
    rf = by_code[RF]
    assert rf["name"] == "RF microneedling"
    assert rf["active"] is True
    assert rf["area_minutes"]["full_face"] == {"min_minutes": 45, "max_minutes": 75}
    areas = client.get("/v1/treatment-areas?limit=200", headers=integration).json()["items"]
    for area in areas:
        # RF takes longer than the area's own (pen) minutes, everywhere it names.
        own = rf["area_minutes"][area["code"]]
        assert own["min_minutes"] >= area["min_minutes"]
        assert own["max_minutes"] > area["max_minutes"]


def test_admin_creates_reads_lists_and_updates_a_device(
    client: TestClient, admin: Headers, integration: Headers
) -> None:
    created = client.post("/v1/devices", json=DEVICE, headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == "/v1/devices/fractional_rf"
    assert created.headers["ETag"] == '"1"'
    body = created.json()
    assert body["area_minutes"] == DEVICE["area_minutes"]
    assert body["active"] is True
    assert body["version"] == 1
    assert body["updated_at"] is None

    again = client.post("/v1/devices", json=DEVICE, headers=admin)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/already-exists"

    read = client.get("/v1/devices/fractional_rf", headers=integration)
    assert read.status_code == 200
    assert read.headers["ETag"] == '"1"'
    assert client.get("/v1/devices/nope", headers=integration).status_code == 404

    first = client.get("/v1/devices?limit=1", headers=integration).json()
    assert len(first["items"]) == 1
    assert first["next_cursor"]
    codes = [first["items"][0]["code"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/v1/devices?limit=1&cursor={cursor}", headers=integration).json()
        codes += [d["code"] for d in page["items"]]
        cursor = page["next_cursor"]
    assert codes == sorted(codes)
    assert {"fractional_rf", "microneedling_pen", RF} <= set(codes)

    path = "/v1/devices/fractional_rf"
    change = {
        "name": "Fractional RF II",
        "area_minutes": {"neck": {"min_minutes": 20, "max_minutes": 30}},
    }
    assert client.patch(path, json=change, headers=admin).status_code == 428
    stale = client.patch(path, json=change, headers={**admin, "If-Match": '"7"'})
    assert stale.status_code == 412
    patched = client.patch(path, json=change, headers={**admin, "If-Match": '"1"'})
    assert patched.status_code == 200, patched.text
    assert patched.headers["ETag"] == '"2"'
    # The map is replaced whole.
    assert patched.json()["area_minutes"] == change["area_minutes"]
    assert patched.json()["name"] == "Fractional RF II"
    off = client.patch(path, json={"active": False}, headers={**admin, "If-Match": '"2"'})
    assert off.status_code == 200
    assert off.json()["active"] is False


def test_device_validation(client: TestClient, admin: Headers) -> None:
    unknown = {**DEVICE, "area_minutes": {"elbow": {"min_minutes": 10, "max_minutes": 20}}}
    refused = client.post("/v1/devices", json=unknown, headers=admin)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["area_minutes.elbow"]
    assert "elbow" in refused.json()["detail"]

    reversed_ = {**DEVICE, "area_minutes": {"full_face": {"min_minutes": 70, "max_minutes": 50}}}
    refused = client.post("/v1/devices", json=reversed_, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"].startswith("area_minutes.full_face")

    for low, high in ((4, 20), (20, 481)):
        body = {**DEVICE, "area_minutes": {"neck": {"min_minutes": low, "max_minutes": high}}}
        assert client.post("/v1/devices", json=body, headers=admin).status_code == 422
    for bad in ({**DEVICE, "code": "RF!"}, {**DEVICE, "ends": 1}, {**DEVICE, "name": ""}):
        assert client.post("/v1/devices", json=bad, headers=admin).status_code == 422

    created = client.post("/v1/devices", json=DEVICE, headers=admin)
    assert created.status_code == 201
    patch = client.patch(
        "/v1/devices/fractional_rf",
        json={"area_minutes": {"elbow": {"min_minutes": 10, "max_minutes": 20}}},
        headers={**admin, "If-Match": '"1"'},
    )
    assert patch.status_code == 422
    assert patch.json()["errors"][0]["field"] == "area_minutes.elbow"
    renamed = client.patch(
        "/v1/devices/fractional_rf", json={"code": "x_rf"}, headers={**admin, "If-Match": '"1"'}
    )
    assert renamed.status_code == 422
    assert renamed.json()["errors"][0]["code"] == "extra_forbidden"


def test_devices_are_written_by_admins_and_read_by_every_role(
    client: TestClient,
    clinician: Headers,
    front_desk: Headers,
    integration: Headers,
) -> None:
    for role in (clinician, front_desk, integration):
        response = client.post("/v1/devices", json=DEVICE, headers=role)
        assert response.status_code == 403
        assert response.json()["type"] == "/problems/forbidden"
        patch = client.patch(
            f"/v1/devices/{RF}", json={"name": "x"}, headers={**role, "If-Match": '"1"'}
        )
        assert patch.status_code == 403
        assert client.get("/v1/devices", headers=role).status_code == 200
        assert client.get(f"/v1/devices/{RF}", headers=role).status_code == 200


# Rooms


def test_rooms_list_the_devices_they_hold(client: TestClient, admin: Headers) -> None:
    clinic = make_clinic(client, admin, rooms=1, providers=0)
    assert client.get(f"/v1/rooms/{clinic.room_ids[0]}", headers=admin).json()["device_codes"] == []
    body = {"location_id": clinic.location_id, "name": "RF room", "device_codes": [RF]}
    created = client.post("/v1/rooms", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["device_codes"] == [RF]
    for codes in (["no_such_device"], [RF, RF]):
        refused = client.post(
            "/v1/rooms", json={**body, "name": "Other", "device_codes": codes}, headers=admin
        )
        assert refused.status_code == 422, refused.text
        assert {e["field"] for e in refused.json()["errors"]} == {"device_codes"}
    patch = client.patch(
        f"/v1/rooms/{clinic.room_ids[0]}",
        json={"device_codes": ["nope_device"]},
        headers={**admin, "If-Match": '"1"'},
    )
    assert patch.status_code == 422
    assert patch.json()["errors"][0]["field"] == "device_codes"
    _hold_devices(client, admin, clinic.room_ids[0], ["microneedling_pen"])


# Quotes


def _quote(client: TestClient, headers: Headers, **body: Any) -> Any:
    return client.post(
        "/v1/duration-quotes",
        json={"areas": ["full_face"], "numbing": False, **body},
        headers=headers,
    )


def test_an_rf_quote_differs_from_the_pens(client: TestClient, integration: Headers) -> None:
    plain = _quote(client, integration).json()
    pen = _quote(client, integration, device="microneedling_pen").json()
    rf = _quote(client, integration, device=RF).json()
    # The pen keeps the area's own 30-45 minutes; RF takes 45-75 on a full face.
    assert plain["treatment_minutes"] == pen["treatment_minutes"] == 40
    assert pen["device"] == "microneedling_pen"
    assert plain["device"] is None
    assert rf["treatment_minutes"] == 60
    assert rf["device"] == RF
    light = _quote(client, integration, device=RF, intensity="light").json()
    intensive = _quote(client, integration, device=RF, intensity="intensive").json()
    assert (light["treatment_minutes"], intensive["treatment_minutes"]) == (45, 75)


def test_a_device_without_minutes_for_an_area_keeps_the_areas_own(
    client: TestClient, admin: Headers
) -> None:
    assert client.post("/v1/devices", json=DEVICE, headers=admin).status_code == 201
    quote = _quote(client, admin, areas=["full_face", "neck"], device="fractional_rf").json()
    # full_face 60 (the device's 50-70) + neck 17.5 (the area's own 15-20) = 77.5 -> 80.
    assert quote["treatment_minutes"] == 80


def test_an_unknown_or_inactive_device_is_refused(client: TestClient, admin: Headers) -> None:
    unknown = _quote(client, admin, device="laser_pen")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "device"
    client.post("/v1/devices", json={**DEVICE, "active": False}, headers=admin)
    inactive = _quote(client, admin, device="fractional_rf")
    assert inactive.status_code == 422
    assert inactive.json()["errors"][0]["field"] == "device"


# Availability


def test_availability_with_a_device_offers_only_rooms_holding_it(
    client: TestClient, admin: Headers, integration: Headers
) -> None:
    clinic = _rf_clinic(client, admin)
    day = future_day(10)
    params = {
        "areas": "full_face",
        "from": local(day, "10:00"),
        "to": local(day, "12:00"),
        "numbing": "false",
        "location_id": clinic.location_id,
    }
    plain = client.get("/v1/availability", params=params, headers=integration)
    assert plain.status_code == 200, plain.text
    assert {s["room_id"] for s in plain.json()["slots"]} == {clinic.room_ids[0]}
    rf = client.get("/v1/availability", params={**params, "device": RF}, headers=integration)
    assert rf.status_code == 200, rf.text
    slots = rf.json()["slots"]
    assert slots
    assert {s["room_id"] for s in slots} == {clinic.room_ids[1]}
    first = slots[0]
    assert first["starts_at"] == local(day, "10:00")
    length = datetime.fromisoformat(first["ends_at"]) - datetime.fromisoformat(first["starts_at"])
    assert length == timedelta(minutes=60)
    # A search in a room that does not hold the device is refused, as a booking there would be.
    none = client.get(
        "/v1/availability",
        params={**params, "device": RF, "room_id": clinic.room_ids[0]},
        headers=integration,
    )
    assert none.status_code == 422
    assert none.json()["type"] == "/problems/device-not-in-room"
    unknown = client.get(
        "/v1/availability", params={**params, "device": "laser_pen"}, headers=integration
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0] == {
        "location": "query",
        "field": "device",
        "detail": "No device has this code.",
        "code": "unknown_device",
    }


# Holds and bookings


def test_a_booking_needs_a_room_holding_its_device(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic = _rf_clinic(client, admin)
    person = make_client(client, clinician)
    starts = local(future_day(10), "10:00")
    refused = client.post(
        "/v1/sessions", json=booking(clinic, person, starts, room=0, device=RF), headers=clinician
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/device-not-in-room"
    assert client.get("/problems/device-not-in-room").status_code == 200

    booked = client.post(
        "/v1/sessions", json=booking(clinic, person, starts, room=1, device=RF), headers=clinician
    )
    assert booked.status_code == 201, booked.text
    session = booked.json()
    assert session["device"] == RF
    assert _minutes(session) == 60
    assert session["ends_at"] == local(future_day(10), "11:00")

    pen = client.post(
        "/v1/sessions",
        json=booking(
            clinic, make_client(client, clinician, name="Pen"), starts, room=0, provider=1
        ),
        headers=clinician,
    )
    assert pen.status_code == 201, pen.text
    assert pen.json()["device"] is None
    assert _minutes(pen.json()) == 40

    unknown = client.post(
        "/v1/sessions",
        json=booking(clinic, person, local(future_day(11), "10:00"), room=1, device="laser_pen"),
        headers=clinician,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "device"


def test_editing_a_device_leaves_booked_sessions_alone(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic = _rf_clinic(client, admin)
    person = make_client(client, clinician)
    starts = local(future_day(10), "10:00")
    body = booking(clinic, person, starts, room=1, device=RF)
    session = client.post("/v1/sessions", json=body, headers=clinician).json()
    device = client.get(f"/v1/devices/{RF}", headers=admin)
    longer = {"full_face": {"min_minutes": 90, "max_minutes": 120}}
    edited = client.patch(
        f"/v1/devices/{RF}",
        json={"area_minutes": longer},
        headers={**admin, "If-Match": device.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.text
    read = client.get(f"/v1/sessions/{session['id']}", headers=clinician).json()
    assert _minutes(read) == 60
    assert read["ends_at"] == session["ends_at"]
    assert read["device"] == RF
    # Moving it keeps the booked minutes too, and its new room must hold the device.
    moved_start = local(future_day(10), "14:00")
    elsewhere = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"starts_at": moved_start, "room_id": clinic.room_ids[0]},
        headers={**clinician, "If-Match": f'"{read["version"]}"'},
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["type"] == "/problems/device-not-in-room"
    moved = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"starts_at": moved_start},
        headers={**clinician, "If-Match": f'"{read["version"]}"'},
    )
    assert moved.status_code == 200, moved.text
    assert _minutes(moved.json()) == 60
    # A new booking takes the new minutes.
    again = client.post(
        "/v1/sessions",
        json=booking(
            clinic,
            make_client(client, clinician, name="Bo"),
            local(future_day(12), "10:00"),
            room=1,
            device=RF,
        ),
        headers=clinician,
    )
    assert _minutes(again.json()) == 105


def test_a_room_that_stops_holding_the_device_does_not_pin_its_sessions(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    """The RF system leaves Room 2 after a booking: the session still moves in time in its own
    room (its minutes are booked), but not into another room without the device."""
    clinic = _rf_clinic(client, admin)
    person = make_client(client, clinician)
    body = booking(clinic, person, local(future_day(10), "10:00"), room=1, device=RF)
    session = client.post("/v1/sessions", json=body, headers=clinician).json()
    _hold_devices(client, admin, clinic.room_ids[1], ["microneedling_pen"])
    later = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"starts_at": local(future_day(10), "15:00")},
        headers={**clinician, "If-Match": f'"{session["version"]}"'},
    )
    assert later.status_code == 200, later.text
    assert (later.json()["room_id"], later.json()["device"]) == (clinic.room_ids[1], RF)
    other_room = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"room_id": clinic.room_ids[2]},
        headers={**clinician, "If-Match": f'"{later.json()["version"]}"'},
    )
    assert other_room.status_code == 422
    assert other_room.json()["type"] == "/problems/device-not-in-room"


def test_a_hold_keeps_its_device_and_its_conversion_books_it(
    client: TestClient, admin: Headers, clinician: Headers, integration: Headers
) -> None:
    clinic = _rf_clinic(client, admin)
    person = make_client(client, clinician)
    starts = local(future_day(10), "10:00")
    refused = client.post(
        "/v1/holds", json=booking(clinic, person, starts, room=0, device=RF), headers=integration
    )
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/device-not-in-room"
    held = client.post(
        "/v1/holds", json=booking(clinic, person, starts, room=1, device=RF), headers=integration
    )
    assert held.status_code == 201, held.text
    hold = held.json()
    assert hold["device"] == RF
    assert hold["ends_at"] == local(future_day(10), "11:00")
    assert client.get(f"/v1/holds/{hold['id']}", headers=integration).json()["device"] == RF

    # Converting books what the hold held: a device left out is the hold's.
    converted = client.post(
        "/v1/sessions",
        json=booking(clinic, person, starts, room=1, hold_id=hold["id"]),
        headers=integration,
    )
    assert converted.status_code == 201, converted.text
    assert converted.json()["device"] == RF
    assert converted.json()["hold_id"] == hold["id"]
    assert converted.json()["ends_at"] == hold["ends_at"]


# Plans


def test_a_plans_proposals_and_bookings_use_its_device(
    client: TestClient, admin: Headers, clinician: Headers, front_desk: Headers
) -> None:
    clinic = _rf_clinic(client, admin)
    person = make_client(client, clinician)
    created = client.post(
        "/v1/treatment-plans",
        json={
            "client_id": person,
            "location_id": clinic.location_id,
            "areas": ["full_face"],
            "numbing": False,
            "sessions_planned": 2,
            "device": RF,
        },
        headers=front_desk,
    )
    assert created.status_code == 201, created.text
    assert created.json()["device"] == RF
    plan_id = created.json()["id"]

    found = client.get(f"/v1/treatment-plans/{plan_id}/next-slots?limit=5", headers=front_desk)
    assert found.status_code == 200, found.text
    slots = found.json()["slots"]
    assert slots
    assert {s["room_id"] for s in slots} == {clinic.room_ids[1]}
    for slot in slots:
        length = datetime.fromisoformat(slot["ends_at"]) - datetime.fromisoformat(slot["starts_at"])
        assert length == timedelta(minutes=60)

    path = f"/v1/treatment-plans/{plan_id}/course-proposal"
    first_day = future_day(10)
    proposed = client.post(path, json={"from": local(first_day, "10:00")}, headers=front_desk)
    assert proposed.status_code == 200, proposed.text
    assert {p["room_id"] for p in proposed.json()["proposals"]} == {clinic.room_ids[1]}

    # A plan's booking that names no device takes the plan's.
    body = booking(clinic, person, local(first_day, "10:00"), room=1, plan_id=plan_id)
    booked = client.post("/v1/sessions", json=body, headers=front_desk)
    assert booked.status_code == 201, booked.text
    assert booked.json()["device"] == RF
    assert _minutes(booked.json()) == 60
    wrong_room = booking(
        clinic, person, local(first_day + timedelta(days=30), "10:00"), room=0, plan_id=plan_id
    )
    refused = client.post("/v1/sessions", json=wrong_room, headers=front_desk)
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/device-not-in-room"

    course = client.post(path, json={"book": True}, headers=front_desk)
    assert course.status_code == 201, course.text
    assert [s["device"] for s in course.json()["sessions"]] == [RF]
    assert {s["room_id"] for s in course.json()["sessions"]} == {clinic.room_ids[1]}


def test_a_plan_from_a_template_with_a_device_books_with_it(
    client: TestClient, admin: Headers, clinician: Headers, front_desk: Headers
) -> None:
    clinic = _rf_clinic(client, admin)
    template = {
        "code": "rf_acne_scars",
        "name": "RF acne scarring",
        "indication": "acne scars",
        "areas": ["full_face"],
        "intensity": "intensive",
        "device": RF,
        "sessions_planned": 3,
        "interval_min_days": 28,
        "interval_max_days": 42,
        "numbing": True,
    }
    made = client.post("/v1/course-templates", json=template, headers=admin)
    assert made.status_code == 201, made.text
    # ask: the template's numbing applies (a client's always or never would decide instead).
    person = make_client(client, clinician, numbing_preference="ask")
    plan = client.post(
        "/v1/treatment-plans",
        json={"client_id": person, "location_id": clinic.location_id, "template": "rf_acne_scars"},
        headers=front_desk,
    )
    assert plan.status_code == 201, plan.text
    assert plan.json()["device"] == RF
    path = f"/v1/treatment-plans/{plan.json()['id']}/course-proposal"
    booked = client.post(
        path, json={"from": local(future_day(10), "09:00"), "book": True}, headers=front_desk
    )
    assert booked.status_code == 201, booked.text
    sessions = booked.json()["sessions"]
    assert len(sessions) == 3
    for session in sessions:
        assert session["device"] == RF
        assert session["room_id"] == clinic.room_ids[1]
        # Intensive RF on a full face: the device's maximum, 75 minutes, after 30 of numbing.
        assert _minutes(session) == 75
        assert _minutes(session, "numbing") == 30
