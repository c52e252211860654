"""Whether a booking, hold, quote, availability search or course proposal numbs when its
request leaves `numbing` out (issue 15, point 1; docs/domain.md#comfort): the plan's, else the
client's `numbing_preference`; `ask` is a 422 naming `numbing`. The session and hold keep
`numbing_source`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Headers
from tests.factories import (
    Clinic,
    booked,
    booking,
    future_day,
    local,
    make_client,
    post_booking,
)

DAY = future_day(10)


def _left_out(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "numbing"}


def _kinds(session: dict[str, Any]) -> list[str]:
    return [segment["kind"] for segment in session["segments"]]


def _asks_for_numbing(response: Any, location: str = "body") -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [(e["location"], e["field"]) for e in problem["errors"]] == [(location, "numbing")]
    assert "`ask`" in problem["detail"]
    assert problem["errors"][0]["code"] == "numbing_required"


@pytest.mark.parametrize(
    ("preference", "numbs", "kinds"),
    [
        ("never", False, ["treatment", "turnover"]),
        ("always", True, ["numbing", "treatment", "turnover"]),
    ],
)
def test_a_booking_that_leaves_numbing_out_follows_the_clients_preference(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    preference: str,
    numbs: bool,
    kinds: list[str],
) -> None:
    who = make_client(client, clinician, numbing_preference=preference)
    session = booked(client, front_desk, _left_out(booking(clinic, who, local(DAY, "10:00"))))
    assert session["numbing"] is numbs
    assert session["numbing_source"] == "client_preference"
    assert _kinds(session) == kinds
    read = client.get(f"/v1/sessions/{session['id']}", headers=front_desk).json()
    assert (read["numbing"], read["numbing_source"]) == (numbs, "client_preference")


def test_ask_and_no_numbing_is_a_422_naming_numbing(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    who = make_client(client, clinician, numbing_preference=None)  # the API's default: ask
    body = _left_out(booking(clinic, who, local(DAY, "10:00")))
    _asks_for_numbing(post_booking(client, front_desk, body))
    # Saying it books, and nothing of the refused attempt stands in the way.
    session = booked(client, front_desk, {**body, "numbing": True})
    assert (session["numbing"], session["numbing_source"]) == (True, "request")


@pytest.mark.parametrize(("preference", "asked"), [("never", True), ("always", False)])
def test_the_requests_numbing_overrides_the_preference(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    preference: str,
    asked: bool,
) -> None:
    who = make_client(client, clinician, numbing_preference=preference)
    session = booked(client, front_desk, booking(clinic, who, local(DAY, "10:00"), numbing=asked))
    assert (session["numbing"], session["numbing_source"]) == (asked, "request")
    assert ("numbing" in _kinds(session)) is asked


def test_the_booked_event_carries_the_numbing_source(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    integration: Headers,
) -> None:
    who = make_client(client, clinician, numbing_preference="always")
    session = booked(client, front_desk, _left_out(booking(clinic, who, local(DAY, "10:00"))))
    feed = client.get("/v1/events", params={"types": "session.booked"}, headers=integration)
    (event,) = [e for e in feed.json()["items"] if e["subject"]["id"] == session["id"]]
    assert (event["data"]["numbing"], event["data"]["numbing_source"]) == (
        True,
        "client_preference",
    )


def test_a_hold_follows_the_same_rule_and_its_session_keeps_it(
    client: TestClient, clinic: Clinic, integration: Headers, clinician: Headers
) -> None:
    never = make_client(client, clinician, name="Never", numbing_preference="never")
    always = make_client(client, clinician, name="Always", numbing_preference="always")
    asks = make_client(client, clinician, name="Asks", numbing_preference="ask")
    body = _left_out(booking(clinic, never, local(DAY, "10:00")))
    hold = client.post("/v1/holds", json=body, headers=integration)
    assert hold.status_code == 201, hold.text
    assert (hold.json()["numbing"], hold.json()["numbing_source"]) == (False, "client_preference")
    read = client.get(f"/v1/holds/{hold.json()['id']}", headers=integration).json()
    assert read["numbing_source"] == "client_preference"
    session = booked(client, integration, {**body, "hold_id": hold.json()["id"]})
    assert (session["numbing"], session["numbing_source"]) == (False, "client_preference")

    numbed = client.post(
        "/v1/holds",
        json=_left_out(booking(clinic, always, local(DAY, "12:00"), room=1)),
        headers=integration,
    )
    assert numbed.status_code == 201, numbed.text
    assert (numbed.json()["numbing"], numbed.json()["numbing_source"]) == (
        True,
        "client_preference",
    )
    hold_starts = datetime.fromisoformat(numbed.json()["starts_at"])
    assert datetime.fromisoformat(numbed.json()["ends_at"]) - hold_starts == timedelta(minutes=70)

    asked = _left_out(booking(clinic, asks, local(DAY, "15:00"), room=2))
    _asks_for_numbing(client.post("/v1/holds", json=asked, headers=integration))
    explicit = client.post("/v1/holds", json={**asked, "numbing": False}, headers=integration)
    assert explicit.status_code == 201, explicit.text
    assert explicit.json()["numbing_source"] == "request"


def test_converting_a_hold_books_the_numbing_it_held(
    client: TestClient, clinic: Clinic, integration: Headers, clinician: Headers
) -> None:
    """The hold decided numbing when it was made: a conversion that leaves `numbing` out books
    the hold's (and its source), whatever the client's preference; a different `numbing` is
    not the held booking (409 hold-mismatch)."""
    asks = make_client(client, clinician, name="Asks", numbing_preference="ask")
    never = make_client(client, clinician, name="Never", numbing_preference="never")
    for person, wall, room in ((asks, "10:00", 0), (never, "13:00", 1)):
        body = {**booking(clinic, person, local(DAY, wall), room=room), "numbing": True}
        hold = client.post("/v1/holds", json=body, headers=integration)
        assert hold.status_code == 201, hold.text
        conversion = {**_left_out(body), "hold_id": hold.json()["id"]}
        differing = post_booking(client, integration, {**conversion, "numbing": False})
        assert differing.status_code == 409, differing.text
        assert differing.json()["type"] == "/problems/hold-mismatch"
        session = booked(client, integration, conversion)
        assert (session["numbing"], session["numbing_source"]) == (True, "request")
        assert _kinds(session) == ["numbing", "treatment", "turnover"]


def _quote(client: TestClient, headers: Headers, **body: Any) -> Any:
    return client.post(
        "/v1/duration-quotes", json={"areas": ["full_face"], **body}, headers=headers
    )


def test_a_quote_for_a_client_follows_their_preference(
    client: TestClient, integration: Headers, clinician: Headers
) -> None:
    never = make_client(client, clinician, name="Never", numbing_preference="never")
    always = make_client(client, clinician, name="Always", numbing_preference="always")
    asks = make_client(client, clinician, name="Asks", numbing_preference="ask")
    minutes = {
        who: _quote(client, integration, client_id=who).json().get("numbing_minutes")
        for who in (never, always)
    }
    assert minutes == {never: 0, always: 30}
    _asks_for_numbing(_quote(client, integration, client_id=asks))
    assert _quote(client, integration, client_id=asks, numbing=True).json()["numbing_minutes"] == 30
    assert (
        _quote(client, integration, client_id=always, numbing=False).json()["numbing_minutes"] == 0
    )
    # No client: as before clients had a preference, no numbing unless asked.
    assert _quote(client, integration).json()["numbing_minutes"] == 0
    assert _quote(client, integration, numbing=True).json()["numbing_minutes"] == 30
    unknown = _quote(client, integration, client_id="nobody")
    assert unknown.status_code == 422, unknown.text
    assert [(e["location"], e["field"]) for e in unknown.json()["errors"]] == [
        ("body", "client_id")
    ]


def _search(client: TestClient, headers: Headers, clinic: Clinic, **params: Any) -> Any:
    return client.get(
        "/v1/availability",
        params={
            "areas": "full_face",
            "from": local(DAY, "09:00"),
            "to": local(DAY, "12:00"),
            "location_id": clinic.location_id,
            **params,
        },
        headers=headers,
    )


def _lengths(response: Any) -> set[timedelta]:
    assert response.status_code == 200, response.text
    slots = response.json()["slots"]
    assert slots
    return {
        datetime.fromisoformat(s["ends_at"]) - datetime.fromisoformat(s["starts_at"]) for s in slots
    }


def test_availability_for_a_client_follows_their_preference_and_their_calendar(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    always = make_client(client, clinician, name="Always", numbing_preference="always")
    asks = make_client(client, clinician, name="Asks", numbing_preference="ask")
    assert _lengths(_search(client, front_desk, clinic, client_id=always)) == {
        timedelta(minutes=70)
    }
    assert _lengths(_search(client, front_desk, clinic, client_id=always, numbing="false")) == {
        timedelta(minutes=40)
    }
    _asks_for_numbing(_search(client, front_desk, clinic, client_id=asks), "query")
    assert _lengths(_search(client, front_desk, clinic)) == {timedelta(minutes=40)}
    unknown = _search(client, front_desk, clinic, client_id="nobody")
    assert unknown.status_code == 422, unknown.text
    assert [(e["location"], e["field"]) for e in unknown.json()["errors"]] == [
        ("query", "client_id")
    ]
    # Named, the client must be free too: their own 10:00 session rules out overlapping starts.
    booked(client, front_desk, booking(clinic, always, local(DAY, "10:00"), numbing=False))
    starts = {
        s["starts_at"]
        for s in _search(client, front_desk, clinic, client_id=always, numbing="false").json()[
            "slots"
        ]
    }
    anyone = {s["starts_at"] for s in _search(client, front_desk, clinic).json()["slots"]}
    assert datetime.fromisoformat(local(DAY, "10:00")).isoformat() not in starts
    assert datetime.fromisoformat(local(DAY, "10:00")).isoformat() in anyone


def _plan(
    client: TestClient, headers: Headers, clinic: Clinic, client_id: str, numbing: bool
) -> dict[str, Any]:
    response = client.post(
        "/v1/treatment-plans",
        json={
            "client_id": client_id,
            "location_id": clinic.location_id,
            "areas": ["full_face"],
            "numbing": numbing,
            "sessions_planned": 2,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def test_a_plans_booking_that_leaves_numbing_out_takes_the_plans(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    # The plan says numb, the client's preference says never: the plan decides, for its booking.
    who = make_client(client, clinician, numbing_preference="never")
    plan = _plan(client, front_desk, clinic, who, numbing=True)
    body = _left_out(booking(clinic, who, local(DAY, "10:00"), plan_id=plan["id"]))
    session = booked(client, front_desk, body)
    assert (session["numbing"], session["numbing_source"]) == (True, "plan")
    # A client who is asked each time: a plan's booking needs no answer, the plan has it.
    asks = make_client(client, clinician, name="Asks", numbing_preference="ask")
    quiet = _plan(client, front_desk, clinic, asks, numbing=False)
    body = _left_out(booking(clinic, asks, local(DAY, "14:00"), room=1, plan_id=quiet["id"]))
    session = booked(client, front_desk, body)
    assert (session["numbing"], session["numbing_source"]) == (False, "plan")


def test_a_booked_course_proposal_numbs_as_the_plan_says(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    asks = make_client(client, clinician, name="Asks", numbing_preference="ask")
    plan = _plan(client, front_desk, clinic, asks, numbing=True)
    response = client.post(
        f"/v1/treatment-plans/{plan['id']}/course-proposal",
        json={"from": local(DAY, "10:00"), "book": True},
        headers=front_desk,
    )
    assert response.status_code == 201, response.text
    sessions = response.json()["sessions"]
    assert [(s["numbing"], s["numbing_source"]) for s in sessions] == [(True, "plan")] * 2
