"""Flat with history (issue 12): every hot statement on the calendar's tables is an index range,
never a scan of a resource's history.

The statements are the real ones: the test books, reads, lists and searches through the API
on a database seeded with years of one provider's, room's and client's sessions (and
``ANALYZE``d, so PostgreSQL's planner chooses as it would in production), records every
statement that touches ``treatment_sessions``, ``busy_blocks`` or ``busy_days``, and asks the
database for its plan with the same parameters. A plan fails when it

* reads a table in full (SQLite ``SCAN <table>``, also ``SCAN <table> USING INDEX``, a full
  index walk; PostgreSQL ``Seq Scan on <table>`` or an index scan without a condition), or
* seeks an index on a time column with one bound only (``starts_at<?`` without ``starts_at>?``,
  likewise ``day``): that reads everything before the upper bound, the resource's history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, insert

from needleplan.db import commit
from needleplan.kit.ids import new_id
from needleplan.models import BusyBlock, TreatmentSession
from needleplan.sessions import busy_days
from tests.conftest import Headers, RollbackDatabase
from tests.factories import Clinic, booking, future_day, local, make_client, make_clinic

TABLES = ("treatment_sessions", "busy_blocks", "busy_days")
HISTORY_DAYS = 3000  # one session a day for about eight years
_TOUCHES = re.compile(r"\b(" + "|".join(TABLES) + r")\b")

Captured = tuple[str, Any]


def _seed_history(database: RollbackDatabase, clinic: Clinic, client_id: str) -> None:
    """One 60-minute session a day at 08:00 UTC for HISTORY_DAYS days before today, with the
    busy blocks and busy-day minutes booking writes (client, provider and room, no numbing), in
    bulk statements."""
    today = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    sessions: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    spans: list[tuple[bool, busy_days.Span]] = []
    provider_id, room_id = clinic.provider_ids[0], clinic.room_ids[0]
    for n in range(1, HISTORY_DAYS + 1):
        start = today - timedelta(days=n)
        end = start + timedelta(minutes=60)
        session_id = new_id()
        sessions.append(
            {
                "id": session_id,
                "client_id": client_id,
                "provider_id": provider_id,
                "room_id": room_id,
                "location_id": clinic.location_id,
                "areas": ["full_face"],
                "intensity": "standard",
                "numbing": False,
                "numbing_minutes": 0,
                "treatment_minutes": 50,
                "turnover_minutes": 10,
                "starts_at": start,
                "ends_at": end,
                "status": "fulfilled",
                "version": 1,
                "created_at": start - timedelta(days=7),
            }
        )
        for kind, resource_id, block_end in (
            ("client", client_id, end - timedelta(minutes=10)),
            ("provider", provider_id, end - timedelta(minutes=10)),
            ("room", room_id, end),
        ):
            blocks.append(
                {
                    "id": new_id(),
                    "resource_kind": kind,
                    "resource_id": resource_id,
                    "starts_at": start,
                    "ends_at": block_end,
                    "session_id": session_id,
                    "hold_id": None,
                    "expires_at": None,
                }
            )
            spans.append((True, (resource_id, start, block_end)))
    with database.transaction() as db:
        db.execute(insert(TreatmentSession), sessions)
        db.execute(insert(BusyBlock), blocks)
        busy_days.write_pending(db, spans)
        commit(db)
    database.connection.exec_driver_sql("ANALYZE")


@pytest.fixture
def captured(database: RollbackDatabase) -> Iterator[list[Captured]]:
    found: list[Captured] = []

    def collect(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper()
        if (
            not executemany
            and verb in {"SELECT", "UPDATE", "DELETE"}
            and _TOUCHES.search(statement)
        ):
            found.append((statement, parameters))

    event.listen(database.connection, "before_cursor_execute", collect)
    yield found
    event.remove(database.connection, "before_cursor_execute", collect)


def _time_index(table: str, index: str) -> str | None:
    """The time column a seek on ``index`` must bound on both sides, if any: the indexes that
    lead to a resource's (or everyone's) history in time order."""
    if table == "busy_days" and ("autoindex" in index or index == "pk_busy_days"):
        return "day"
    if "plan_id" in index:
        return None  # a plan's course in order: that plan's few sessions, not a history
    if "starts_at" in index or index == "ex_busy_blocks_no_overlap":
        return "starts_at"
    return None


def _two_sided(column: str, condition: str, below: str, above: str) -> bool:
    return bool(re.search(rf"\b{column}\s*{below}", condition)) and bool(
        re.search(rf"\b{column}\s*{above}", condition)
    )


def _sqlite_problems(connection: Connection, statement: str, parameters: Any) -> list[str]:
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    problems = []
    for row in rows:
        detail: str = row[-1]
        match = re.match(r"(SCAN|SEARCH) (\w+)(?: USING (?:COVERING )?INDEX (\w+))?", detail)
        if not match or match.group(2) not in TABLES:
            continue
        table, index = match.group(2), match.group(3) or ""
        if match.group(1) == "SCAN":
            problems.append(detail)
            continue
        column = _time_index(table, index)
        if column and not _two_sided(column, detail, "<", ">"):
            problems.append(f"{detail} (not bounded on both sides of {column})")
    return problems


def _pg_nodes(node: dict[str, Any], relation: str | None = None) -> Iterator[dict[str, Any]]:
    relation = node.get("Relation Name", relation)
    yield {**node, "Relation Name": relation}
    for child in node.get("Plans", []):
        yield from _pg_nodes(child, relation)


def _pg_problems(connection: Connection, statement: str, parameters: Any) -> list[str]:
    (plan,) = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    problems = []
    for node in _pg_nodes(plan[0]["Plan"]):
        kind, table, index = node["Node Type"], node["Relation Name"], node.get("Index Name", "")
        if table is None and index:
            table = next((t for t in TABLES if t in index), None)
        if table not in TABLES:
            continue
        if kind == "Seq Scan":
            problems.append(f"Seq Scan on {table}")
            continue
        if "Index" not in kind:
            continue
        condition = node.get("Index Cond", "")
        if not condition:
            problems.append(f"{kind} using {index} without a condition")
            continue
        column = _time_index(table, index)
        if column and not (
            _two_sided(column, condition, "<", ">") or "&&" in condition  # a GiST range seek
        ):
            problems.append(f"{kind} using {index}: {condition} (not bounded on {column})")
    return problems


def _problems(connection: Connection, statement: str, parameters: Any) -> list[str]:
    if connection.dialect.name == "sqlite":
        return _sqlite_problems(connection, statement, parameters)
    return _pg_problems(connection, statement, parameters)


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def test_hot_statements_are_index_ranges(
    client: TestClient,
    admin: Headers,
    database: RollbackDatabase,
    captured: list[Captured],
) -> None:
    clinic = make_clinic(client, admin, rooms=2, providers=2)
    client_id = make_client(client, admin, name="History")
    _seed_history(database, clinic, client_id)
    captured.clear()
    provider_id, room_id = clinic.provider_ids[0], clinic.room_ids[0]

    day = future_day(10)
    # The history's own client, provider and room: the overlap check seeks their blocks.
    session = _ok(
        client.post(
            "/v1/sessions", json=booking(clinic, client_id, local(day, "10:00")), headers=admin
        )
    )
    _ok(client.get(f"/v1/sessions/{session['id']}", headers=admin))
    past = (datetime.now(UTC) - timedelta(days=400)).date()
    for when in (day, past):
        params = {"date": when.isoformat()}
        _ok(client.get(f"/v1/providers/{provider_id}/schedule", params=params, headers=admin))
        _ok(client.get(f"/v1/rooms/{room_id}/schedule", params=params, headers=admin))
    window = {
        "from": datetime.combine(past, datetime.min.time(), UTC).isoformat(),
        "to": datetime.combine(past + timedelta(days=90), datetime.min.time(), UTC).isoformat(),
        "limit": 50,
    }
    for filters in ({"provider_id": provider_id}, {"room_id": room_id}, {}):
        page = _ok(client.get("/v1/sessions", params={**window, **filters}, headers=admin))
        assert len(page["items"]) == 50
        _ok(
            client.get(
                "/v1/sessions",
                params={**window, **filters, "cursor": page["next_cursor"]},
                headers=admin,
            )
        )
    start = datetime.combine(future_day(2), datetime.min.time(), UTC)
    search = {
        "areas": "full_face",
        "from": start.isoformat(),
        "to": (start + timedelta(days=30)).isoformat(),
        "location_id": clinic.location_id,
    }
    _ok(client.get("/v1/availability", params=search, headers=admin))
    _ok(
        client.get("/v1/availability", params={**search, "provider_id": provider_id}, headers=admin)
    )
    # A plan of the history's client: its course is read by every proposal and plan booking.
    plan = _ok(
        client.post(
            "/v1/treatment-plans",
            json={
                "client_id": client_id,
                "location_id": clinic.location_id,
                "areas": ["full_face"],
                "numbing": False,
            },
            headers=admin,
        )
    )
    _ok(client.get(f"/v1/treatment-plans/{plan['id']}/next-slots", headers=admin))
    _ok(
        client.post(
            f"/v1/treatment-plans/{plan['id']}/course-proposal",
            json={"book": True, "from": start.isoformat()},
            headers=admin,
        )
    )
    subjects = {
        "provider": provider_id,
        "room": room_id,
        "client": client_id,
        "location": clinic.location_id,
    }
    for scope, subject in subjects.items():  # calendar feeds: a year ahead, 30 days back
        feed = _ok(
            client.post("/v1/calendar-feeds", json={"scope": scope, "id": subject}, headers=admin)
        )
        assert client.get("/calendar/" + feed["url"].split("/calendar/", 1)[1]).status_code == 200

    statements = list(dict.fromkeys((s, _frozen(p)) for s, p in captured))
    assert statements, "no statement recorded"
    touched = {t for s, _ in statements for t in _TOUCHES.findall(s)}
    assert touched == set(TABLES), touched
    failures = {}
    for statement, parameters in statements:
        problems = _problems(database.connection, statement, parameters)
        if problems:
            failures[statement] = problems
    assert not failures, json.dumps(failures, indent=1)


def _frozen(parameters: Any) -> Any:
    # Hashable for de-duplication, still usable as the statement's parameters.
    if isinstance(parameters, dict):
        return _Params(parameters)
    return tuple(parameters) if isinstance(parameters, list) else parameters


class _Params(dict[str, Any]):
    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted((k, repr(v)) for k, v in self.items())))


def test_the_overlap_trigger_seeks_one_day(database: RollbackDatabase) -> None:
    """The SELECT of SQLite's overlap trigger, NEW.* bound as parameters, as migrated."""
    connection = database.connection
    if connection.dialect.name != "sqlite":
        pytest.skip("PostgreSQL refuses overlaps with an exclusion constraint (GiST)")
    trigger = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'busy_blocks_no_overlap'"
    ).scalar_one()
    body = re.search(r"EXISTS\s*\((.*)\)\s*;\s*END", trigger, re.S | re.I)
    assert body is not None, trigger
    select = re.sub(r"\bNEW\.(\w+)", r":\1", body.group(1))
    parameters = {  # as UTCDateTime stores instants on SQLite
        "resource_kind": "room",
        "resource_id": "room-1",
        "starts_at": "2027-03-09 08:00:00.000000",
        "ends_at": "2027-03-09 09:00:00.000000",
    }
    plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + select, parameters).all()
    details = [row[-1] for row in plan]
    assert any(
        "ix_busy_blocks_resource_id_starts_at (resource_id=? AND starts_at>? AND starts_at<?)"
        in detail
        for detail in details
    ), details
    assert not _sqlite_problems(connection, select, parameters)
