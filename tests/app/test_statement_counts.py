"""No N+1 and no in-memory paging (issue 11): every list endpoint runs the same number of SQL
statements for a page of 1, 10 or 50 rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Date, event, literal, type_coerce
from sqlmodel import col, select, update

from needleplan.db import UTCDateTime
from needleplan.due.repository import add_days, add_months_sql, local_date, register_functions
from needleplan.due.rules import add_months
from needleplan.models import TreatmentPlan, TreatmentSession
from tests.conftest import Headers, RollbackDatabase
from tests.factories import booking, future_day, local, make_client, make_clinic

PAGE_SIZES = (1, 10, 50)
ROWS = 50


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _statements(
    client: TestClient,
    database: RollbackDatabase,
    path: str,
    headers: Headers,
    params: dict[str, Any],
) -> tuple[int, dict[str, Any]]:
    """How many statements one GET runs on the test connection, and its answer."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.connection, "before_cursor_execute", count)
    try:
        response = client.get(path, params=params, headers=headers)
    finally:
        event.remove(database.connection, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return len(statements), body


def _build(
    client: TestClient, admin: Headers, clinician: Headers, database: RollbackDatabase
) -> dict[str, str]:
    """At least 50 rows behind every list endpoint. Returns the ids the paths need."""
    clinic = make_clinic(client, admin, rooms=3)
    people = [make_client(client, clinician, name=f"Client{i}") for i in range(ROWS)]
    first = people[0]
    today = datetime.now(UTC).date()
    for i in range(1, ROWS):
        screening = {"screened_on": (today - timedelta(days=i)).isoformat(), "conditions": []}
        _created(client.post(f"/v1/clients/{first}/screenings", json=screening, headers=clinician))
    for i in range(ROWS):
        override = {
            "reason": f"Reviewed with the client, round {i}.",
            "codes": ["no_screening"],
            "expires_on": (today + timedelta(days=30 + i)).isoformat(),
        }
        _created(
            client.post(
                f"/v1/clients/{first}/eligibility-overrides", json=override, headers=clinician
            )
        )
    plans = [
        _created(
            client.post(
                "/v1/treatment-plans",
                json={
                    "client_id": c,
                    "location_id": clinic.location_id,
                    "areas": ["lips"],
                    "numbing": False,
                },
                headers=clinician,
            )
        )["id"]
        for c in people
    ]
    # Sessions: one for each of 30 plans, 20 more outside plans, spread over days and rooms.
    sessions: list[str] = []
    for i in range(ROWS):
        day, hour = future_day(1 + i // 5), 9 + 2 * (i % 5)
        extra = {"plan_id": plans[i]} if i < 30 else {}
        body = booking(
            clinic, people[i], local(day, f"{hour:02d}:00"), room=i % 3, areas=["lips"], **extra
        )
        sessions.append(_created(client.post("/v1/sessions", json=body, headers=clinician))["id"])
    # Due for every reason: flagged sessions, completed plans (maintenance), fresh plans.
    with database.transaction() as db:
        db.exec(
            update(TreatmentSession)
            .where(col(TreatmentSession.id).in_(sessions[20:25]))
            .values(
                needs_reschedule=True,
                window_earliest_date=today + timedelta(days=3),
                window_latest_date=today + timedelta(days=10),
            )
        )  # type: ignore[call-overload]
        db.exec(
            update(TreatmentPlan)
            .where(col(TreatmentPlan.id).in_(plans[40:45]))
            .values(status="completed", completed_at=datetime.now(UTC) - timedelta(days=175))
        )  # type: ignore[call-overload]
    # A session moved 50 times, between two starts on its day.
    moved = sessions[-1]
    day = future_day(1 + (ROWS - 1) // 5)
    for i in range(ROWS):
        starts = local(day, "19:00" if i % 2 == 0 else "09:30")
        response = client.patch(
            f"/v1/sessions/{moved}",
            json={"starts_at": starts},
            headers={**clinician, "If-Match": f'"{i + 1}"'},
        )
        assert response.status_code == 200, response.text
    provider = clinic.provider_ids[0]
    for i in range(ROWS):
        starts = datetime.combine(future_day(200 + i), datetime.min.time(), tzinfo=UTC)
        exception = {
            "kind": "time_off",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
        }
        _created(client.post(f"/v1/providers/{provider}/exceptions", json=exception, headers=admin))
    for i in range(ROWS):
        _created(
            client.post(
                "/v1/providers", json={"name": f"P{i}", "profession": "nurse"}, headers=admin
            )
        )
        _created(
            client.post(
                "/v1/rooms",
                json={"location_id": clinic.location_id, "name": f"R{i}"},
                headers=admin,
            )
        )
        _created(
            client.post(
                "/v1/locations", json={"name": f"L{i}", "time_zone": "Asia/Tokyo"}, headers=admin
            )
        )
        area = {
            "code": f"area_{i}",
            "name": f"Area {i}",
            "category": "small",
            "min_minutes": 15,
            "max_minutes": 20,
        }
        _created(client.post("/v1/treatment-areas", json=area, headers=admin))
        template = {
            "code": f"course_{i}",
            "name": f"Course {i}",
            "indication": "fine lines",
            "areas": [area["code"]],
            "sessions_planned": 3,
            "interval_min_days": 28,
            "interval_max_days": 42,
            "numbing": False,
        }
        _created(client.post("/v1/course-templates", json=template, headers=admin))
        condition = {"code": f"cond_{i}", "name": f"Condition {i}", "kind": "caution"}
        _created(client.post("/v1/screening-conditions", json=condition, headers=admin))
        _created(
            client.post(
                "/v1/api-keys", json={"name": f"key {i}", "role": "clinician"}, headers=admin
            )
        )
    return {"client": first, "session": moved, "provider": provider}


def test_list_endpoints_run_the_same_statements_whatever_the_page_size(
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    front_desk: Headers,
    database: RollbackDatabase,
) -> None:
    ids = _build(client, admin, clinician, database)
    horizon = {"within_days": 365}
    endpoints: list[tuple[str, Headers, dict[str, Any]]] = [
        ("/v1/clients", front_desk, {}),
        ("/v1/sessions", clinician, {}),
        ("/v1/treatment-plans", clinician, {}),
        ("/v1/due", front_desk, horizon),
        (f"/v1/clients/{ids['client']}/screenings", clinician, {}),
        (f"/v1/clients/{ids['client']}/eligibility-overrides", clinician, {}),
        ("/v1/providers", admin, {}),
        (f"/v1/providers/{ids['provider']}/exceptions", admin, {}),
        (f"/v1/sessions/{ids['session']}/moves", clinician, {}),
        ("/v1/rooms", admin, {}),
        ("/v1/locations", admin, {}),
        ("/v1/treatment-areas", admin, {}),
        ("/v1/course-templates", admin, {}),
        ("/v1/screening-conditions", admin, {}),
        ("/v1/api-keys", admin, {}),
    ]
    counts: dict[str, list[int]] = {}
    for path, headers, params in endpoints:
        for size in PAGE_SIZES:
            # Twice each, so a first-request cache (a zone, a catalogue) does not count.
            for _ in range(2):
                statements, body = _statements(
                    client, database, path, headers, {**params, "limit": size}
                )
            assert len(body["items"]) == size, (path, size, len(body["items"]))
            assert body["next_cursor"] is not None or size == ROWS, (path, size)
            counts.setdefault(path, []).append(statements)
    print("\nstatements per request for pages of", PAGE_SIZES)
    for path, found in counts.items():
        print(f"  {path}: {found}")
    growing = {path: found for path, found in counts.items() if len(set(found)) > 1}
    assert not growing, f"statement counts grow with the page size: {growing}"


def test_the_due_list_pages_in_order(
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    front_desk: Headers,
    database: RollbackDatabase,
) -> None:
    """Walking the due list page by page gives the whole list, in due-date order."""
    _build_due(client, admin, clinician, database)
    whole = client.get("/v1/due", params={"within_days": 365, "limit": 200}, headers=front_desk)
    assert whole.status_code == 200, whole.text
    everything = whole.json()["items"]
    assert whole.json()["next_cursor"] is None
    assert len(everything) > 7
    keys = [(i["due_date"], i["plan_id"], i["reason"]) for i in everything]
    assert keys == sorted(keys)
    for size in (1, 3, 7):
        walked: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"within_days": 365, "limit": size}
            if cursor is not None:
                params["cursor"] = cursor
            page = client.get("/v1/due", params=params, headers=front_desk)
            assert page.status_code == 200, page.text
            assert len(page.json()["items"]) <= size
            walked.extend(page.json()["items"])
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert walked == everything
    bad = client.get("/v1/due", params={"cursor": "bm9wZQ"}, headers=front_desk)
    assert bad.status_code == 400


def _build_due(
    client: TestClient, admin: Headers, clinician: Headers, database: RollbackDatabase
) -> None:
    """Plans due for each reason, some for two, with due dates that tie and differ."""
    clinic = make_clinic(client, admin, rooms=3)
    people = [make_client(client, clinician, name=f"Due{i}") for i in range(12)]
    plans = [
        _created(
            client.post(
                "/v1/treatment-plans",
                json={
                    "client_id": c,
                    "location_id": clinic.location_id,
                    "areas": ["lips"],
                    "numbing": False,
                    "min_interval_days": 1 + i,
                    "max_interval_days": 40,
                },
                headers=clinician,
            )
        )["id"]
        for i, c in enumerate(people)
    ]
    sessions = []
    for i in range(8):
        body = booking(
            clinic,
            people[i],
            local(future_day(1 + i % 3), f"{9 + i:02d}:00"),
            room=i % 3,
            areas=["lips"],
            plan_id=plans[i],
        )
        sessions.append(_created(client.post("/v1/sessions", json=body, headers=clinician))["id"])
    today = datetime.now(UTC).date()
    with database.transaction() as db:
        db.exec(
            update(TreatmentSession)
            .where(col(TreatmentSession.id).in_(sessions[:3]))
            .values(
                needs_reschedule=True,
                window_earliest_date=today + timedelta(days=3),
                window_latest_date=today + timedelta(days=10),
            )
        )  # type: ignore[call-overload]
        for i, plan in enumerate(plans[9:]):
            db.exec(
                update(TreatmentPlan)
                .where(col(TreatmentPlan.id) == plan)
                .values(
                    status="completed",
                    completed_at=datetime.now(UTC) - timedelta(days=170 + 3 * i),
                )
            )  # type: ignore[call-overload]


def test_the_databases_due_dates_follow_the_python_rules(database: RollbackDatabase) -> None:
    """The due list's SQL dates agree with plans/windows.py and due/rules.py on either database:
    local dates across DST changes and midnight, month ends that shrink."""
    instants = [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 01:30 then 02:30 in Berlin, the spring gap
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # Berlin 01:30 on the 25th
        datetime(2026, 8, 30, 22, 30, tzinfo=UTC),  # Berlin 31 August
        datetime(2027, 1, 30, 23, 0, tzinfo=UTC),  # Berlin 31 January, Tokyo 31 January
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    ]
    zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]
    with database.transaction() as db:
        register_functions(db)
        for instant in instants:
            for zone in zones:
                day = local_date(literal(instant, UTCDateTime()), literal(zone))
                statement = select(
                    type_coerce(day, Date()),
                    type_coerce(add_days(day, literal(28)), Date()),
                    type_coerce(add_months_sql(day, literal(6)), Date()),
                    type_coerce(add_months_sql(day, literal(1)), Date()),
                )
                found = tuple(db.exec(statement).one())
                local = instant.astimezone(ZoneInfo(zone)).date()
                expected = (
                    local,
                    local + timedelta(days=28),
                    add_months(local, 6),
                    add_months(local, 1),
                )
                assert found == expected, (instant, zone)
