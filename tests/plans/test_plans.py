"""Treatment plans and follow-up windows through the HTTP API (issue 5,
docs/domain.md#treatment-plans)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from needleplan.plans.windows import CourseSession, out_of_window, window_after
from tests.conftest import Headers
from tests.factories import (
    BERLIN,
    Clinic,
    booking,
    future_day,
    local,
    make_client,
    make_clinic,
    treat,
)


def _first_tuesday_three_weeks_before_spring_dst() -> date:
    """Tue 2027-03-09 in 2027: 19 days before the last Sunday of March, at least 30 days ahead."""
    year = datetime.now(BERLIN).year
    while True:
        last_sunday = date(year, 3, 31)
        while last_sunday.isoweekday() != 7:
            last_sunday -= timedelta(days=1)
        tuesday = last_sunday - timedelta(days=19)
        if tuesday - datetime.now(BERLIN).date() > timedelta(days=30):
            return tuesday
        year += 1


FIRST = _first_tuesday_three_weeks_before_spring_dst()


@pytest.fixture
def clinic(client: TestClient, admin: Headers) -> Clinic:
    return make_clinic(client, admin, providers=2)


def _plan(
    client: TestClient, headers: Headers, clinic: Clinic, client_id: str, **extra: Any
) -> dict[str, Any]:
    body = {
        "client_id": client_id,
        "location_id": clinic.location_id,
        "areas": ["full_face"],
        "numbing": False,
        **extra,
    }
    response = client.post("/v1/treatment-plans", json=body, headers=headers)
    assert response.status_code == 201, response.text
    plan: dict[str, Any] = response.json()
    return plan


def _book(
    client: TestClient,
    headers: Headers,
    clinic: Clinic,
    client_id: str,
    plan_id: str,
    day: date,
    wall: str = "10:00",
    **extra: Any,
) -> Any:
    return client.post(
        "/v1/sessions",
        json=booking(clinic, client_id, local(day, wall), plan_id=plan_id, **extra),
        headers=headers,
    )


def test_the_second_window_keeps_local_time_across_dst(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a)
    assert (plan["status"], plan["sessions_planned"], plan["next_window"]) == ("active", 3, None)
    first = _book(client, front_desk, clinic, a, plan["id"], FIRST)
    assert first.status_code == 201, first.text
    assert first.json()["starts_at"].endswith("+01:00")
    window = client.get(f"/v1/treatment-plans/{plan['id']}", headers=front_desk).json()[
        "next_window"
    ]
    assert window["session_number"] == 2
    assert window["earliest_date"] == (FIRST + timedelta(days=28)).isoformat()
    assert window["latest_date"] == (FIRST + timedelta(days=42)).isoformat()
    assert window["starts_at"] == f"{FIRST + timedelta(days=28)}T00:00:00+02:00"
    second = _book(client, front_desk, clinic, a, plan["id"], FIRST + timedelta(days=28))
    assert second.status_code == 201, second.text
    assert second.json()["starts_at"] == f"{FIRST + timedelta(days=28)}T10:00:00+02:00"


@pytest.mark.parametrize(("day", "status"), [(27, 422), (28, 201), (42, 201), (43, 422)])
def test_session_two_must_fall_in_its_window(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    day: int,
    status: int,
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a)
    assert _book(client, front_desk, clinic, a, plan["id"], FIRST).status_code == 201
    response = _book(client, front_desk, clinic, a, plan["id"], FIRST + timedelta(days=day))
    assert response.status_code == status, response.text
    if status == 422:
        problem = response.json()
        assert problem["type"] == "/problems/interval-violation"
        assert problem["window"]["earliest_date"] == (FIRST + timedelta(days=28)).isoformat()
        assert problem["window"]["latest_date"] == (FIRST + timedelta(days=42)).isoformat()


def test_a_clinician_may_accept_an_interval_violation(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a)
    _book(client, front_desk, clinic, a, plan["id"], FIRST)
    early = FIRST + timedelta(days=21)
    reason = {"override_reason": "Client travels for six weeks."}
    assert _book(client, front_desk, clinic, a, plan["id"], early, **reason).status_code == 403
    accepted = _book(client, clinician, clinic, a, plan["id"], early, **reason)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["needs_reschedule"] is False


def test_moving_session_one_flags_session_two(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a)
    first = _book(client, front_desk, clinic, a, plan["id"], FIRST).json()
    second = _book(client, front_desk, clinic, a, plan["id"], FIRST + timedelta(days=30)).json()
    moved = client.patch(
        f"/v1/sessions/{first['id']}",
        json={"starts_at": local(FIRST + timedelta(days=14), "10:00")},
        headers={**front_desk, "If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    flagged = client.get(f"/v1/sessions/{second['id']}", headers=front_desk).json()
    assert flagged["status"] == "booked"
    assert flagged["starts_at"] == second["starts_at"]  # nothing moved silently
    assert flagged["needs_reschedule"] is True
    assert flagged["reschedule_window"] == {
        "earliest_date": (FIRST + timedelta(days=42)).isoformat(),
        "latest_date": (FIRST + timedelta(days=56)).isoformat(),
    }
    course = client.get(f"/v1/treatment-plans/{plan['id']}", headers=front_desk).json()["sessions"]
    assert [(s["number"], s["needs_reschedule"]) for s in course] == [(1, False), (2, True)]


def test_cancelling_session_one_makes_session_two_the_first(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a)
    first = _book(client, front_desk, clinic, a, plan["id"], FIRST).json()
    second = _book(client, front_desk, clinic, a, plan["id"], FIRST + timedelta(days=30)).json()
    client.post(f"/v1/sessions/{first['id']}/cancel", json={"reason": "ill"}, headers=front_desk)
    course = client.get(f"/v1/treatment-plans/{plan['id']}", headers=front_desk).json()
    assert [(s["id"], s["number"]) for s in course["sessions"]] == [
        (first["id"], None),
        (second["id"], 1),
    ]
    assert course["next_window"]["earliest_date"] == (FIRST + timedelta(days=58)).isoformat()


@pytest.fixture
def draft(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> dict[str, Any]:
    """Alice's draft plan of one session."""
    a = make_client(client, clinician, name="Alice")
    return _plan(client, front_desk, clinic, a, status="draft", sessions_planned=1)


def _start(client: TestClient, front_desk: Headers, plan: dict[str, Any]) -> Any:
    started = client.patch(
        f"/v1/treatment-plans/{plan['id']}",
        json={"status": "active"},
        headers={**front_desk, "If-Match": '"1"'},
    )
    assert started.status_code == 200, started.text
    return started.json()


def test_a_draft_plan_takes_no_bookings(
    client: TestClient, clinic: Clinic, draft: dict[str, Any], front_desk: Headers
) -> None:
    refused = _book(client, front_desk, clinic, draft["client_id"], draft["id"], FIRST)
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/plan-not-active"
    assert refused.json()["detail"] == (
        "The plan is a draft and takes no bookings until it is started (PATCH status: active)."
    )


def test_a_started_plan_takes_no_more_sessions_than_planned(
    client: TestClient, clinic: Clinic, draft: dict[str, Any], front_desk: Headers
) -> None:
    _start(client, front_desk, draft)
    a = draft["client_id"]
    assert _book(client, front_desk, clinic, a, draft["id"], FIRST).status_code == 201
    full = _book(client, front_desk, clinic, a, draft["id"], FIRST + timedelta(days=30))
    assert full.status_code == 409
    assert full.json()["type"] == "/problems/plan-full"
    assert full.json()["detail"] == "The plan's only session is already booked."


def test_an_active_plan_cannot_go_back_to_draft(
    client: TestClient, draft: dict[str, Any], front_desk: Headers
) -> None:
    started = _start(client, front_desk, draft)
    back = client.patch(
        f"/v1/treatment-plans/{draft['id']}",
        json={"status": "draft"},
        headers={**front_desk, "If-Match": f'"{started["version"]}"'},
    )
    assert back.status_code == 409
    assert back.json()["type"] == "/problems/plan-transition-not-allowed"
    assert back.json()["detail"] == "An active plan cannot go back to draft."


def test_a_plan_completes_when_its_last_session_is_treated(
    client: TestClient,
    clinic: Clinic,
    draft: dict[str, Any],
    front_desk: Headers,
    clinician: Headers,
) -> None:
    _start(client, front_desk, draft)
    session = _book(client, front_desk, clinic, draft["client_id"], draft["id"], FIRST).json()
    treat(client, clinician, session)
    done = client.get(f"/v1/treatment-plans/{draft['id']}", headers=front_desk).json()
    assert done["status"] == "completed"
    assert done["completed_at"] is not None


def test_cancelling_a_plan_cancels_no_session(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a)
    session = _book(client, front_desk, clinic, a, plan["id"], FIRST).json()
    cancelled = client.post(f"/v1/treatment-plans/{plan['id']}/cancel", headers=front_desk)
    assert cancelled.status_code == 200
    assert cancelled.json()["booked_sessions"] == [session["id"]]
    assert (
        client.get(f"/v1/sessions/{session['id']}", headers=front_desk).json()["status"] == "booked"
    )
    assert (
        _book(client, front_desk, clinic, a, plan["id"], FIRST + timedelta(days=30)).status_code
        == 409
    )


def test_plans_check_eligibility_and_the_plans_client(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    blocked = make_client(client, clinician, name="Bo", conditions=("active_acne",))
    response = client.post(
        "/v1/treatment-plans",
        json={
            "client_id": blocked,
            "location_id": clinic.location_id,
            "areas": ["full_face"],
            "numbing": False,
        },
        headers=front_desk,
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/not-eligible"
    a, b = make_client(client, clinician, name="Alice"), make_client(client, clinician, name="Bea")
    plan = _plan(client, front_desk, clinic, a)
    wrong = _book(client, front_desk, clinic, b, plan["id"], FIRST)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "plan_id"


def test_integrations_read_plans_without_notes(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    integration: Headers,
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a, notes="acne scars, left cheek")
    seen = client.get(f"/v1/treatment-plans/{plan['id']}", headers=integration).json()
    assert seen["notes"] is None
    assert client.post("/v1/treatment-plans", json={}, headers=integration).status_code == 403


@given(
    # hypothesis takes naive bounds; the test attaches the zone itself.
    first=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31)),  # noqa: DTZ001
    min_days=st.integers(1, 40),
    extra=st.integers(0, 30),
)
def test_windows_keep_the_wall_clock(first: datetime, min_days: int, extra: int) -> None:
    start = first.replace(second=0, microsecond=0, tzinfo=BERLIN)
    window = window_after(start, 2, BERLIN, min_days, min_days + extra)
    assert window.earliest_date == start.date() + timedelta(days=min_days)
    assert (window.latest_date - window.earliest_date).days == extra
    proposal = window.preferred_start(window.earliest_date, BERLIN).astimezone(BERLIN)
    if (
        proposal.fold == 0
        and proposal.replace(tzinfo=None).time() == start.replace(tzinfo=None).time()
    ):
        assert window.contains(proposal, BERLIN)
    assert window.starts_at < window.ends_at


def test_out_of_window_flags_only_unaccepted_late_sessions() -> None:
    t0 = datetime(2027, 3, 9, 10, 0, tzinfo=BERLIN)
    sessions = [
        CourseSession("s1", t0, False),
        CourseSession("s2", t0 + timedelta(days=50), False),
        CourseSession("s3", t0 + timedelta(days=80), True),
    ]
    assert set(out_of_window(sessions, BERLIN, 28, 42)) == {"s2"}


def test_next_slots_keep_the_weekday_and_local_time(
    client: TestClient,
    clinic: Clinic,
    front_desk: Headers,
    clinician: Headers,
    integration: Headers,
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a, provider_id=clinic.provider_ids[1])
    _book(client, front_desk, clinic, a, plan["id"], FIRST, provider=1)
    found = client.get(f"/v1/treatment-plans/{plan['id']}/next-slots?limit=3", headers=integration)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["window"]["earliest_date"] == (FIRST + timedelta(days=28)).isoformat()
    best = body["slots"][0]
    assert best["starts_at"] == f"{FIRST + timedelta(days=28)}T10:00:00+02:00"
    assert best["provider_id"] == clinic.provider_ids[1]
    assert len(body["slots"]) == 3
    for slot in body["slots"]:
        assert (
            (FIRST + timedelta(days=28)).isoformat()
            <= slot["starts_at"][:10]
            <= (FIRST + timedelta(days=42)).isoformat()
        )


def test_a_whole_course_is_proposed_and_booked_at_once(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a, sessions_planned=3)
    path = f"/v1/treatment-plans/{plan['id']}/course-proposal"
    proposed = client.post(path, json={"from": local(FIRST, "10:00")}, headers=front_desk)
    assert proposed.status_code == 200, proposed.text
    starts = [p["starts_at"] for p in proposed.json()["proposals"]]
    assert starts == [
        f"{FIRST}T10:00:00+01:00",
        f"{FIRST + timedelta(days=28)}T10:00:00+02:00",
        f"{FIRST + timedelta(days=56)}T10:00:00+02:00",
    ]
    assert client.get(f"/v1/sessions?client_id={a}", headers=front_desk).json()["items"] == []
    booked = client.post(
        path, json={"from": local(FIRST, "10:00"), "book": True}, headers=front_desk
    )
    assert booked.status_code == 201, booked.text
    assert [s["starts_at"] for s in booked.json()["sessions"]] == starts
    assert {s["plan_id"] for s in booked.json()["sessions"]} == {plan["id"]}
    course = client.get(f"/v1/treatment-plans/{plan['id']}", headers=front_desk).json()
    assert [s["starts_at"] for s in course["sessions"]] == starts
    assert course["next_window"] is None


def test_a_full_plan_has_nothing_to_propose_and_nothing_to_book(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a, sessions_planned=2)
    path = f"/v1/treatment-plans/{plan['id']}/course-proposal"
    first = client.post(
        path, json={"from": local(FIRST, "10:00"), "book": True}, headers=front_desk
    )
    assert first.status_code == 201, first.text
    assert len(first.json()["sessions"]) == 2
    # Without `book`, an honest empty answer: nothing is left to propose.
    proposed = client.post(path, json={}, headers=front_desk)
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["proposals"] == []
    refused = client.post(path, json={"book": True}, headers=front_desk)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/plan-full"
    assert refused.json()["detail"] == (
        "All 2 sessions of the plan are already booked. Nothing is left to book."
    )
    sessions = client.get(f"/v1/sessions?client_id={a}", headers=front_desk).json()["items"]
    assert len(sessions) == 2


def test_an_infeasible_course_books_nothing(
    client: TestClient, clinic: Clinic, admin: Headers, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a, sessions_planned=2)
    for provider_id in clinic.provider_ids:
        away = {
            "kind": "time_off",
            "starts_at": local(FIRST + timedelta(days=20), "00:00"),
            "ends_at": local(FIRST + timedelta(days=60), "00:00"),
        }
        assert (
            client.post(
                f"/v1/providers/{provider_id}/exceptions", json=away, headers=admin
            ).status_code
            == 201
        )
    refused = client.post(
        f"/v1/treatment-plans/{plan['id']}/course-proposal",
        json={"from": local(FIRST, "10:00"), "book": True},
        headers=front_desk,
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/course-not-feasible"
    assert refused.json()["session_number"] == 2
    assert client.get(f"/v1/sessions?client_id={a}", headers=front_desk).json()["items"] == []


def test_a_course_running_past_the_end_of_the_calendar_is_not_feasible(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    """Instants end at 2200: a course starting on the last day of 2199 cannot be completed,
    and says so (it used to fail with a 500 when booking the proposals)."""
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a, sessions_planned=2)
    refused = client.post(
        f"/v1/treatment-plans/{plan['id']}/course-proposal",
        json={"from": "2199-12-30T00:00:00+01:00", "book": True},
        headers=front_desk,
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "/problems/course-not-feasible"
    assert refused.json()["session_number"] == 2


def test_lowering_the_planned_count_completes_a_finished_course(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a, sessions_planned=3)
    session = _book(client, front_desk, clinic, a, plan["id"], FIRST).json()
    treat(client, clinician, session)
    version = client.get(f"/v1/treatment-plans/{plan['id']}", headers=front_desk).json()["version"]
    lowered = client.patch(
        f"/v1/treatment-plans/{plan['id']}",
        json={"sessions_planned": 1},
        headers={**front_desk, "If-Match": f'"{version}"'},
    )
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["status"] == "completed"


def test_the_plans_provider_comes_first_even_when_free_only_later(
    client: TestClient, clinic: Clinic, admin: Headers, front_desk: Headers, clinician: Headers
) -> None:
    """The plan's provider is free only on day 5 from 10:00 to 10:45: two starts for a 40-minute
    treatment. They rank above every earlier slot of the other provider."""
    a = make_client(client, clinician, name="Alice")
    plan = _plan(client, front_desk, clinic, a, provider_id=clinic.provider_ids[1])
    path = f"/v1/providers/{clinic.provider_ids[1]}/exceptions"
    for start, end in (
        (local(future_day(0), "00:00"), local(future_day(5), "10:00")),
        (local(future_day(5), "10:45"), local(future_day(20), "00:00")),
    ):
        away = {"kind": "time_off", "starts_at": start, "ends_at": end}
        assert client.post(path, json=away, headers=admin).status_code == 201
    slots = client.get(
        f"/v1/treatment-plans/{plan['id']}/next-slots?limit=3", headers=front_desk
    ).json()["slots"]
    assert [(s["provider_id"], s["starts_at"]) for s in slots[:2]] == [
        (clinic.provider_ids[1], local(future_day(5), "10:00")),
        (clinic.provider_ids[1], local(future_day(5), "10:05")),
    ]
    assert slots[2]["provider_id"] == clinic.provider_ids[0]


def test_a_course_steers_clear_of_sessions_booked_months_ahead(
    client: TestClient, clinic: Clinic, front_desk: Headers, clinician: Headers
) -> None:
    """Every window of a course sees the sessions already booked in it, however far ahead:
    the provider's with someone else, and the client's own outside the plan."""
    a = make_client(client, clinician, name="Alice")
    b = make_client(client, clinician, name="Bob")
    plan = _plan(client, front_desk, clinic, a, sessions_planned=3)
    path = f"/v1/treatment-plans/{plan['id']}/course-proposal"
    body = {"from": local(FIRST, "10:00")}
    natural = client.post(path, json=body, headers=front_desk).json()["proposals"]
    second, third = natural[1], natural[2]
    provider = clinic.provider_ids.index(second["provider_id"])
    taken = [
        booking(clinic, b, second["starts_at"], provider=provider, room=2),
        booking(clinic, a, third["starts_at"], provider=1 - provider, room=2),
    ]
    for session in taken:
        response = client.post("/v1/sessions", json=session, headers=front_desk)
        assert response.status_code == 201, response.text

    proposed = client.post(path, json=body, headers=front_desk).json()["proposals"]
    assert proposed[0] == natural[0]
    assert (proposed[1]["provider_id"], proposed[1]["starts_at"]) != (
        second["provider_id"],
        second["starts_at"],
    )
    assert proposed[2]["starts_at"] != third["starts_at"]
    booked = client.post(path, json={**body, "book": True}, headers=front_desk)
    assert booked.status_code == 201, booked.text
    assert [s["starts_at"] for s in booked.json()["sessions"]] == [p["starts_at"] for p in proposed]
