"""The due list (issue 5 item 6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import update

from needleplan.due.rules import add_months
from needleplan.models import TreatmentPlan
from tests.clock import at
from tests.conftest import Headers, RollbackDatabase
from tests.factories import booking, future_day, local, make_client, make_clinic


def _due(client: TestClient, headers: Headers, within: int = 14) -> list[dict[str, Any]]:
    response = client.get("/v1/due", params={"within_days": within}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _plan(
    client: TestClient, headers: Headers, location_id: str, client_id: str, **extra: Any
) -> str:
    body = {
        "client_id": client_id,
        "location_id": location_id,
        "areas": ["lips"],
        "numbing": False,
        **extra,
    }
    response = client.post("/v1/treatment-plans", json=body, headers=headers)
    assert response.status_code == 201, response.text
    plan_id: str = response.json()["id"]
    return plan_id


@dataclass(frozen=True)
class Plans:
    """Four plans in one clinic, each with another reason to be on the 14-day due list or not."""

    fresh: str  # no session at all: due now
    waiting: str  # first session in 10 days: the next window opens in 38
    soon: str  # first session fulfilled 20 days ago: the next window opens in 8
    soon_client: str
    booked: str  # first session booked in 2 days: the next unbooked window opens in 30


@pytest.fixture
def plans(
    client: TestClient,
    admin: Headers,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> Plans:
    clinic = make_clinic(client, admin)
    fresh, waiting, soon, booked = (
        make_client(client, clinician, name=n) for n in ("Fay", "Wes", "Sol", "Bo")
    )
    fresh_plan = _plan(client, front_desk, clinic.location_id, fresh)  # no session at all: due now
    waiting_plan = _plan(client, front_desk, clinic.location_id, waiting)
    soon_plan = _plan(client, front_desk, clinic.location_id, soon)
    booked_plan = _plan(client, front_desk, clinic.location_id, booked)
    # Wes's first session is in 10 days: his next window opens in 38, beyond a 14-day horizon.
    client.post(
        "/v1/sessions",
        json=booking(
            clinic, waiting, local(future_day(10), "10:00"), areas=["lips"], plan_id=waiting_plan
        ),
        headers=front_desk,
    )
    # Sol had his first session; it was fulfilled 20 days ago, so the next window opens in 8 days.
    first = client.post(
        "/v1/sessions",
        json=booking(
            clinic, soon, local(future_day(1), "10:00"), areas=["lips"], plan_id=soon_plan
        ),
        headers=front_desk,
    ).json()
    with at(local(future_day(1), "10:05")):
        assert client.post(f"/v1/sessions/{first['id']}/arrive", headers=front_desk).is_success
        assert client.post(f"/v1/sessions/{first['id']}/complete", headers=front_desk).is_success
    with database.transaction() as db:
        from needleplan.models import TreatmentSession

        twenty_days_ago = datetime.now(UTC) - timedelta(days=20)
        db.exec(
            update(TreatmentSession)
            .where(TreatmentSession.id == first["id"])
            .values(starts_at=twenty_days_ago)
        )  # type: ignore[call-overload, arg-type]
    # Bo's first session is booked in 2 days: his next unbooked session's window opens in 30.
    client.post(
        "/v1/sessions",
        json=booking(
            clinic, booked, local(future_day(2), "10:00"), areas=["lips"], plan_id=booked_plan
        ),
        headers=front_desk,
    )
    return Plans(fresh_plan, waiting_plan, soon_plan, soon, booked_plan)


def test_a_plan_without_sessions_is_due_now(
    client: TestClient, plans: Plans, front_desk: Headers
) -> None:
    reasons = {(i["plan_id"], i["reason"]) for i in _due(client, front_desk)}
    assert (plans.fresh, "next_session") in reasons


def test_a_plan_whose_next_window_opens_within_the_horizon_is_due(
    client: TestClient, plans: Plans, front_desk: Headers
) -> None:
    items = _due(client, front_desk)
    assert (plans.soon, "next_session") in {(i["plan_id"], i["reason"]) for i in items}
    soon_item = next(i for i in items if i["plan_id"] == plans.soon)
    assert soon_item["window"]["session_number"] == 2
    assert soon_item["client_id"] == plans.soon_client


def test_a_plan_whose_next_window_opens_beyond_the_horizon_is_not_due_yet(
    client: TestClient, plans: Plans, front_desk: Headers
) -> None:
    assert all(i["plan_id"] != plans.waiting for i in _due(client, front_desk))
    assert {(i["plan_id"]) for i in _due(client, front_desk, within=60)} >= {
        plans.fresh,
        plans.soon,
        plans.waiting,
    }


def test_a_plan_whose_next_session_is_booked_is_not_due(
    client: TestClient, plans: Plans, front_desk: Headers
) -> None:
    assert all(i["plan_id"] != plans.booked for i in _due(client, front_desk))


def test_the_due_list_is_in_due_date_order(
    client: TestClient, plans: Plans, front_desk: Headers
) -> None:
    items = _due(client, front_desk)
    assert [i["due_date"] for i in items] == sorted(i["due_date"] for i in items)


@dataclass(frozen=True)
class Pushed:
    plan: str
    second: str  # the plan's second session, now too close to the first


@pytest.fixture
def pushed(client: TestClient, admin: Headers, front_desk: Headers, clinician: Headers) -> Pushed:
    """Ann's plan: sessions in 3 and 33 days, then the first is moved to day 20."""
    clinic = make_clinic(client, admin)
    a = make_client(client, clinician, name="Ann")
    plan = _plan(client, front_desk, clinic.location_id, a)
    s1 = client.post(
        "/v1/sessions",
        json=booking(clinic, a, local(future_day(3), "10:00"), areas=["lips"], plan_id=plan),
        headers=front_desk,
    ).json()
    s2 = client.post(
        "/v1/sessions",
        json=booking(clinic, a, local(future_day(33), "10:00"), areas=["lips"], plan_id=plan),
        headers=front_desk,
    ).json()
    client.patch(
        f"/v1/sessions/{s1['id']}",
        json={"starts_at": local(future_day(20), "10:00")},
        headers={**front_desk, "If-Match": '"1"'},
    )
    return Pushed(plan, s2["id"])


def test_a_session_left_outside_its_window_needs_a_reschedule(
    client: TestClient, pushed: Pushed, front_desk: Headers
) -> None:
    flagged = [i for i in _due(client, front_desk) if i["reason"] == "needs_reschedule"]
    assert [(i["plan_id"], i["session_ids"]) for i in flagged] == [(pushed.plan, [pushed.second])]


def test_a_needs_reschedule_item_carries_the_window_to_move_into(
    client: TestClient, pushed: Pushed, front_desk: Headers
) -> None:
    flagged = [i for i in _due(client, front_desk) if i["reason"] == "needs_reschedule"]
    # The item carries the window the session should move into, as the session reads it.
    moved_away = client.get(f"/v1/sessions/{pushed.second}", headers=front_desk).json()
    window = flagged[0]["window"]
    assert window is not None
    assert {k: window[k] for k in ("earliest_date", "latest_date")} == moved_away[
        "reschedule_window"
    ]
    assert window["session_number"] == 2
    assert window["earliest_date"] == (future_day(20) + timedelta(days=28)).isoformat()
    assert window["starts_at"].startswith(f"{window['earliest_date']}T00:00:00+0")  # Berlin


def test_a_plan_completed_months_ago_is_due_for_maintenance(
    client: TestClient,
    admin: Headers,
    front_desk: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    clinic = make_clinic(client, admin)
    m = make_client(client, clinician, name="Max")
    done = _plan(client, front_desk, clinic.location_id, m, sessions_planned=1)
    with database.transaction() as db:
        db.exec(
            update(TreatmentPlan)
            .where(TreatmentPlan.id == done)
            .values(status="completed", completed_at=datetime.now(UTC) - timedelta(days=175))
        )  # type: ignore[call-overload, arg-type]
    maintenance = [i for i in _due(client, front_desk) if i["reason"] == "maintenance"]
    assert [i["plan_id"] for i in maintenance] == [done]


def test_the_due_list_needs_a_valid_key(client: TestClient) -> None:
    assert client.get("/v1/due", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_the_due_list_is_not_for_integrations(client: TestClient, integration: Headers) -> None:
    assert client.get("/v1/due", headers=integration).status_code == 403


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 24))
def test_add_months_stays_in_the_month(day: date, months: int) -> None:
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day == day.day or later.day < day.day
