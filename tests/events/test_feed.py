"""The change feed (issue 13, points 1-2): every audited mutation writes its event in its own
transaction, and ``GET /v1/events`` serves them after a cursor, filtered for the reader's role.

The gap-free test under concurrency (point 3) is ``test_tail_is_gap_free_under_concurrency``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlmodel import select

from needleplan.events.catalogue import TYPES
from needleplan.events.service import prune
from needleplan.kit.time import utc_now
from needleplan.models import AuditEvent, Event
from tests.app.test_audit_trail import CASES, World
from tests.app.test_concurrency import _bodies, _setup
from tests.conftest import Headers, RollbackDatabase, server_url
from tests.factories import booking, future_day, local, make_client, make_clinic

if TYPE_CHECKING:
    from tests.live_server import LiveServer


def _ids(database: RollbackDatabase, model: type[AuditEvent] | type[Event]) -> set[str]:
    with database.transaction() as db:
        return set(db.exec(select(model.id)).all())


@pytest.mark.parametrize("operation_id", sorted(CASES))
def test_each_audited_mutation_emits_its_event(
    operation_id: str,
    client: TestClient,
    admin: Headers,
    clinician: Headers,
    database: RollbackDatabase,
) -> None:
    case = CASES[operation_id]
    world = World(client, admin, clinician, make_clinic(client, admin, providers=1))
    prepared = case.setup(world)
    audited, emitted = _ids(database, AuditEvent), _ids(database, Event)
    response = case.call(world, prepared)
    assert 200 <= response.status_code < 300, response.text
    with database.transaction() as db:
        records = [r for r in db.exec(select(AuditEvent)).all() if r.id not in audited]
        events = [e for e in db.exec(select(Event)).all() if e.id not in emitted]
    expected = sorted(TYPES[(r.resource, r.action)][0] for r in records)
    # Every audit record has its event (a cascade may add more: hold.converted, ...).
    audited_types = sorted(e.type for e in events if e.type in expected)
    assert audited_types == expected, (operation_id, [e.type for e in events])
    if case.resource is not None:
        assert events, operation_id
    for event in events:  # data: the subject itself, as its GET reads it
        names = {event.data.get(key) for key in ("id", "code", "provider_id")}
        assert event.subject_id in names, (event.type, event.data)


def _feed(client: TestClient, headers: Headers, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _tail(client: TestClient, headers: Headers, cursor: str | None, **params: Any) -> Any:
    """Everything after ``cursor``, page by page; the cursor to poll with next."""
    items: list[dict[str, Any]] = []
    while True:
        body = _feed(client, headers, **({"after": cursor} if cursor else {}), limit=3, **params)
        items += body["items"]
        cursor = body["next_cursor"]
        assert cursor
        if not body["items"]:
            return items, cursor


def test_tailing_with_a_cursor_sees_each_change_once_in_order(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic = make_clinic(client, admin, providers=1)
    seen, cursor = _tail(client, admin, None)
    assert seen  # the clinic's creation
    assert "location.created" in [e["type"] for e in seen]
    person = make_client(client, clinician)
    body = booking(clinic, person, local(future_day(10), "10:00"))
    session = client.post("/v1/sessions", json=body, headers=clinician).json()
    moved = client.patch(
        f"/v1/sessions/{session['id']}",
        json={"starts_at": local(future_day(11), "11:00")},
        headers={**admin, "If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    cancelled = client.post(
        f"/v1/sessions/{session['id']}/cancel", json={"reason": "ill"}, headers=admin
    )
    assert cancelled.status_code == 200, cancelled.text
    later, next_cursor = _tail(client, admin, cursor)
    sessions = [e for e in later if e["subject"]["kind"] == "session"]
    assert [e["type"] for e in sessions] == [
        "session.booked",
        "session.rescheduled",
        "session.cancelled",
    ]
    # data: the session as GET returned it right after each change.
    assert sessions[0]["data"]["status"] == "booked"
    assert sessions[1]["data"]["starts_at"] == moved.json()["starts_at"]
    assert sessions[2]["data"]["status"] == "cancelled"
    assert sessions[2]["data"] == cancelled.json()
    assert len({e["id"] for e in seen + later}) == len(seen + later)
    # An empty page still answers the cursor to poll with.
    empty = _feed(client, admin, after=next_cursor)
    assert empty["items"] == []
    assert empty["next_cursor"]


def test_types_filter_exact_and_by_kind(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic = make_clinic(client, admin, providers=1)
    person = make_client(client, clinician)
    client.post(
        "/v1/sessions", json=booking(clinic, person, local(future_day(10), "10:00")), headers=admin
    )
    booked, _ = _tail(client, admin, None, types="session.booked")
    assert {e["type"] for e in booked} == {"session.booked"}
    kinds, _ = _tail(client, admin, None, types="room.*,client.created")
    assert {e["type"] for e in kinds} == {"room.created", "client.created"}
    unknown = client.get("/v1/events", params={"types": "session.exploded"}, headers=admin)
    assert unknown.status_code == 422


def test_an_integration_key_sees_no_personal_data(
    client: TestClient, admin: Headers, clinician: Headers, integration: Headers
) -> None:
    clinic = make_clinic(client, admin, providers=1)
    person = make_client(client, clinician)  # screened: a screening.recorded event
    body = {**booking(clinic, person, local(future_day(10), "10:00")), "notes": "nervous"}
    assert client.post("/v1/sessions", json=body, headers=clinician).status_code == 201
    full, _ = _tail(client, admin, None)
    assert any(e["type"] == "screening.recorded" for e in full)
    client_events = [e for e in full if e["type"] == "client.created"]
    assert client_events[0]["data"]["first_name"]
    seen, _ = _tail(client, integration, None)
    types = {e["type"] for e in seen}
    assert "client.created" in types
    assert "session.booked" in types
    assert not any(t.split(".")[0] in ("screening", "eligibility_override") for t in types)
    for event in seen:
        if event["type"].startswith("client."):
            assert event["data"] == {"id": event["subject"]["id"]}
        if event["type"].startswith("session."):
            assert event["data"]["notes"] is None
            assert event["data"]["cautions"] is None
    assert [e["id"] for e in seen] == [
        e["id"] for e in full if e["type"].split(".")[0] not in ("screening", "api_key")
    ]


def _cursor(position: list[int], read_at: int) -> str:
    raw = json.dumps({"p": position, "t": read_at}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_an_expired_cursor_is_410_and_a_foreign_one_400(client: TestClient, admin: Headers) -> None:
    old = int((utc_now() - timedelta(days=31)).timestamp())
    expired = client.get("/v1/events", params={"after": _cursor([0, 5], old)}, headers=admin)
    assert expired.status_code == 410
    assert expired.json()["type"].endswith("/problems/cursor-expired")
    recent = int((utc_now() - timedelta(days=29)).timestamp())
    fine = client.get("/v1/events", params={"after": _cursor([0, 5], recent)}, headers=admin)
    assert fine.status_code == 200
    foreign = client.get("/v1/events", params={"after": "not-a-cursor"}, headers=admin)
    assert foreign.status_code == 400


def test_a_failed_mutation_writes_no_event(
    client: TestClient, admin: Headers, database: RollbackDatabase
) -> None:
    before = _ids(database, Event)
    refused = client.patch(
        "/v1/locations/nope", json={"name": "x"}, headers={**admin, "If-Match": '"1"'}
    )
    assert refused.status_code == 404
    assert _ids(database, Event) == before


def test_purge_prunes_events_past_the_retention(
    client: TestClient, admin: Headers, database: RollbackDatabase
) -> None:
    make_clinic(client, admin, providers=1)
    with database.transaction() as db:
        rows = db.exec(select(Event)).all()
        old = rows[0]
        old.occurred_at = utc_now() - timedelta(days=31)
        db.add(old)
    with database.transaction() as db:
        assert prune(db, 30) == 1
        assert old.id not in set(db.exec(select(Event.id)).all())
        assert len(db.exec(select(Event)).all()) == len(rows) - 1


# --- Point 3: gap-free under concurrency -------------------------------------------------------

TAIL_SECONDS = float(os.environ.get("NEEDLEPLAN_TEST_TAIL_SECONDS", "20"))
WRITERS = 12


def _random_start(rng: random.Random) -> str:
    minutes = 8 * 60 + 5 * rng.randrange(0, 120)  # 08:00-17:55 on the 5-minute grid
    day = future_day(7 + rng.randrange(0, 40))
    return local(day, f"{minutes // 60:02d}:{minutes % 60:02d}")


async def _write_load(
    server: LiveServer, clinic: dict[str, Any], until: float, seed: int
) -> Counter[str]:
    """Book, move and cancel sessions from ``WRITERS`` concurrent clients until ``until``."""
    admin = server.admin_headers
    outcomes: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=WRITERS, max_keepalive_connections=WRITERS)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60, limits=limits) as http:

        async def writer(number: int) -> None:
            rng = random.Random(seed * 100 + number)
            while time.monotonic() < until:
                body = _bodies(clinic, 1, rng.randrange(1 << 30))[0]
                body["starts_at"] = _random_start(rng)
                booked = await http.post("/v1/sessions", json=body, headers=admin)
                outcomes[f"book {booked.status_code}"] += 1
                if booked.status_code != 201:
                    continue
                session = booked.json()
                if rng.random() < 0.6:
                    moved = await http.patch(
                        f"/v1/sessions/{session['id']}",
                        json={"starts_at": _random_start(rng)},
                        headers={**admin, "If-Match": f'"{session["version"]}"'},
                    )
                    outcomes[f"move {moved.status_code}"] += 1
                if rng.random() < 0.4:
                    cancelled = await http.post(
                        f"/v1/sessions/{session['id']}/cancel",
                        json={"reason": "load"},
                        headers=admin,
                    )
                    outcomes[f"cancel {cancelled.status_code}"] += 1

        await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    return outcomes


def _stored_event_ids(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT id FROM events"))]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_tail_is_gap_free_under_concurrency(tmp_path: Path) -> None:
    """4 API processes on PostgreSQL (2 on SQLite) book, move and cancel for ``TAIL_SECONDS``
    while a consumer tails the feed with its cursor: it sees every stored event exactly once."""
    from tests.live_server import running_server

    workers = 4 if server_url() else 2
    with running_server(tmp_path, workers=workers) as server:
        clinic = _setup(server)
        reader = server.key_for("admin", "tail")
        seen: list[str] = []
        cursor: str | None = None
        done = threading.Event()

        def tail() -> None:
            nonlocal cursor
            with httpx.Client(base_url=server.base_url, timeout=60) as http:
                while True:
                    finished = done.is_set()  # read before the page: the load had ended
                    params = {"limit": 50, **({"after": cursor} if cursor else {})}
                    page = http.get("/v1/events", params=params, headers=reader)
                    assert page.status_code == 200, page.text
                    body = page.json()
                    seen.extend(item["id"] for item in body["items"])
                    cursor = body["next_cursor"]
                    if not body["items"]:
                        if finished:
                            return
                        time.sleep(0.05)

        consumer = threading.Thread(target=tail)
        consumer.start()
        started = time.monotonic()
        outcomes = asyncio.run(_write_load(server, clinic, started + TAIL_SECONDS, seed=13))
        elapsed = time.monotonic() - started
        # The feed shows a transaction's events once every older transaction has ended: keep
        # tailing until the consumer has caught up with the table (or a minute has passed).
        deadline = time.monotonic() + 60
        stored = _stored_event_ids(server.database_url)
        while len(set(seen)) < len(stored) and time.monotonic() < deadline:
            time.sleep(0.2)
        done.set()
        consumer.join(timeout=90)
        assert not consumer.is_alive()
        stored = _stored_event_ids(server.database_url)

    print(f"\n{workers} workers, {elapsed:.1f} s: {dict(outcomes)}; {len(stored)} events")
    assert elapsed >= TAIL_SECONDS
    assert outcomes["book 201"] > 0
    assert outcomes["move 200"] > 0
    assert outcomes["cancel 200"] > 0
    assert len(seen) == len(set(seen)), "an event was served twice"
    assert set(seen) == set(stored), (len(set(stored) - set(seen)), len(set(seen) - set(stored)))
