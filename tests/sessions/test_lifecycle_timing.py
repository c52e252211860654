"""When the front desk may check a client in, complete a session or mark a no-show
(docs/domain.md, "Session lifecycle"): check-in from 60 minutes before the start until 2 hours
after the end, never outside the session's local day; completion once the treatment started.

The clock is moved with tests/clock.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.clock import at
from tests.conftest import Headers
from tests.factories import BERLIN, Clinic, booking, future_day, local, make_client, make_clinic


@pytest.fixture
def clinic(client: TestClient, admin: Headers) -> Clinic:
    # Open around the clock, so sessions can sit at the edges of a local day.
    return make_clinic(client, admin, opens="00:00", closes="23:55")


def _book(
    client: TestClient, headers: Headers, clinic: Clinic, starts_at: str, **extra: Any
) -> Any:
    """Screens a client and books them the day before ``starts_at``, so the screening is still
    valid on the day however far ahead the day lies."""
    the_day_before = datetime.fromisoformat(starts_at) - timedelta(days=1)
    with at(the_day_before):
        person = make_client(client, headers, name="Alice")
        response = client.post(
            "/v1/sessions", json=booking(clinic, person, starts_at, **extra), headers=headers
        )
    assert response.status_code == 201, response.text
    return response.json()


def _act(client: TestClient, headers: Headers, session: dict[str, Any], action: str) -> Any:
    return client.post(f"/v1/sessions/{session['id']}/{action}", headers=headers)


def _refused(response: Any) -> dict[str, Any]:
    assert response.status_code == 409, response.text
    problem: dict[str, Any] = response.json()
    assert problem["type"] == "/problems/transition-not-allowed"
    return problem


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _next_dst_change(month: int) -> date:
    """The next last Sunday of March (spring) or October (autumn) at least two days ahead."""
    year = future_day(2).year
    while _last_sunday(year, month) < future_day(2):
        year += 1
    return _last_sunday(year, month)


def test_check_in_opens_an_hour_before_the_start(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = future_day(3)
    session = _book(client, clinician, clinic, local(day, "10:00"))
    with at(local(day, "08:59")):
        problem = _refused(_act(client, clinician, session, "arrive"))
    assert problem["possible_from"] == local(day, "09:00")
    assert local(day, "09:00") in problem["detail"]
    assert "60 minutes before" in problem["detail"]
    with at(local(day, "09:00")):
        arrived = _act(client, clinician, session, "arrive")
    assert arrived.status_code == 200, arrived.text
    assert arrived.json()["status"] == "arrived"


def test_check_in_closes_two_hours_after_the_end(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = future_day(3)
    session = _book(client, clinician, clinic, local(day, "10:00"))  # full face: until 10:40
    assert session["ends_at"] == local(day, "10:40")
    with at(local(day, "12:40")):
        problem = _refused(_act(client, clinician, session, "arrive"))
    assert "possible_from" not in problem
    assert "no-show" in problem["detail"]
    with at(local(day, "12:39")):
        assert _act(client, clinician, session, "arrive").status_code == 200


def test_no_check_in_before_the_sessions_local_day(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = future_day(3)
    session = _book(client, clinician, clinic, local(day, "00:30"))
    with at(local(day - timedelta(days=1), "23:45")):  # within the hour, but the day before
        problem = _refused(_act(client, clinician, session, "arrive"))
    assert problem["possible_from"] == local(day, "00:00")
    with at(local(day, "00:00")):
        assert _act(client, clinician, session, "arrive").status_code == 200


def test_no_check_in_after_the_sessions_local_day(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = future_day(3)
    session = _book(client, clinician, clinic, local(day, "23:00"))  # until 23:40
    with at(local(day + timedelta(days=1), "00:00")):  # within the grace, but the day after
        problem = _refused(_act(client, clinician, session, "arrive"))
    assert "possible_from" not in problem
    with at(local(day, "23:59")):
        assert _act(client, clinician, session, "arrive").status_code == 200


def test_the_lead_counts_real_minutes_across_the_spring_change(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = _next_dst_change(3)  # clocks jump from 02:00 to 03:00
    session = _book(client, clinician, clinic, local(day, "03:30"))
    starts_at = datetime.fromisoformat(session["starts_at"])
    assert starts_at.utcoffset() == timedelta(hours=2)
    opens_at = "01:30"  # an hour before 03:30 CEST is 01:30 CET on the wall clock
    with at(starts_at - timedelta(minutes=61)):
        problem = _refused(_act(client, clinician, session, "arrive"))
    assert problem["possible_from"] == local(day, opens_at)
    assert problem["possible_from"].endswith("+01:00")
    with at(starts_at - timedelta(minutes=60)):
        assert _act(client, clinician, session, "arrive").status_code == 200


def test_the_long_autumn_day_still_ends_at_local_midnight(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = _next_dst_change(10)  # 25 hours long: 02:00–03:00 happens twice
    session = _book(client, clinician, clinic, local(day, "23:00"))
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=BERLIN)
    with at(midnight.astimezone(UTC)):
        _refused(_act(client, clinician, session, "arrive"))
    with at(midnight.astimezone(UTC) - timedelta(minutes=1)):
        assert _act(client, clinician, session, "arrive").status_code == 200


def test_completion_waits_for_the_treatment_not_the_numbing(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = future_day(3)
    session = _book(client, clinician, clinic, local(day, "10:00"), numbing=True)
    with at(local(day, "10:35")):  # the status is checked first: a booked session never completes
        assert "possible_from" not in _refused(_act(client, clinician, session, "complete"))
    with at(local(day, "09:55")):
        assert _act(client, clinician, session, "arrive").status_code == 200
    with at(local(day, "10:29")):  # the cream still works until 10:30
        problem = _refused(_act(client, clinician, session, "complete"))
    assert problem["possible_from"] == local(day, "10:30")
    assert "treatment" in problem["detail"]
    with at(local(day, "10:30")):
        completed = _act(client, clinician, session, "complete")
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "fulfilled"


def test_no_show_waits_for_the_start(
    client: TestClient, clinic: Clinic, clinician: Headers
) -> None:
    day = future_day(3)
    session = _book(client, clinician, clinic, local(day, "10:00"))
    with at(local(day, "09:59")):
        problem = _refused(_act(client, clinician, session, "no-show"))
    assert problem["possible_from"] == local(day, "10:00")
    with at(local(day, "10:00")):
        assert _act(client, clinician, session, "no-show").json()["status"] == "noshow"
