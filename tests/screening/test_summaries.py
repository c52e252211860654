"""Eligibility summaries (issue 12): one row per client that reads the same as the client's
screenings, retractions, overrides and birth date, whatever changed them, so reading a session
or a day costs one joined row per client instead of four queries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, select
from sqlmodel import Session

from needleplan.db import Database
from needleplan.migrations import migrate
from needleplan.models import Client, EligibilitySummary, Screening
from needleplan.screening.facts import ClientRecord, decode
from needleplan.screening.repository import records_from_sources, write_summaries
from needleplan.screening.summaries import follow, summarise_missing
from tests.conftest import (
    Headers,
    RollbackDatabase,
    create_database,
    drop_database,
    server_url,
)
from tests.factories import booking, future_day, local, make_client, make_clinic


def _born(db: Session, client_id: str) -> date:
    return db.execute(select(Client.date_of_birth).where(Client.id == client_id)).scalar_one()  # type: ignore[arg-type]


def _stored(database: Database, client_id: str) -> ClientRecord | None:
    with database.transaction(write=False) as db:
        facts = db.execute(
            select(EligibilitySummary.facts).where(EligibilitySummary.client_id == client_id)  # type: ignore[arg-type]
        ).scalar_one_or_none()
        return None if facts is None else decode(_born(db, client_id), facts)


def _from_sources(database: Database, client_id: str) -> ClientRecord:
    with database.transaction(write=False) as db:
        return records_from_sources(db, {client_id: _born(db, client_id)})[client_id]


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_summary_follows_every_change_to_a_clients_facts(
    client: TestClient, clinician: Headers, database: RollbackDatabase
) -> None:
    person = make_client(client, clinician, screened=False)
    # No summary until it has facts: read from its (no) rows.
    assert _stored(database, person) is None
    assert _from_sources(database, person) == ClientRecord(date(1990, 1, 1))
    today = datetime.now(UTC).date()
    changes = [
        (
            f"/v1/clients/{person}/screenings",
            {
                "screened_on": (today - timedelta(days=3)).isoformat(),
                "conditions": ["keloid_history"],
            },
        ),
        (
            f"/v1/clients/{person}/screenings",
            {"screened_on": today.isoformat(), "conditions": ["active_acne"]},
        ),
        (
            f"/v1/clients/{person}/condition-retractions",
            {"code": "keloid_history", "reason": "It was a freckle."},
        ),
        (
            f"/v1/clients/{person}/eligibility-overrides",
            {
                "reason": "Dermatologist cleared it.",
                "codes": ["active_acne"],
                "expires_on": (today + timedelta(days=7)).isoformat(),
            },
        ),
    ]
    for path, body in changes:
        _ok(client.post(path, json=body, headers=clinician))
        assert _stored(database, person) == _from_sources(database, person)
    # The birth date is read from the client's row with the summary: a correction shows at once.
    current = _ok(client.get(f"/v1/clients/{person}", headers=clinician))
    _ok(
        client.patch(
            f"/v1/clients/{person}",
            json={"date_of_birth": "2010-05-05"},
            headers={**clinician, "If-Match": f'"{current["version"]}"'},
        )
    )
    stored = _stored(database, person)
    assert stored == _from_sources(database, person)
    assert stored is not None
    assert stored.date_of_birth == date(2010, 5, 5)
    assert (len(stored.screenings), len(stored.retractions), len(stored.overrides)) == (2, 1, 1)


def test_a_session_read_shows_a_screening_recorded_after_it_was_booked(
    client: TestClient, admin: Headers, clinician: Headers
) -> None:
    clinic = make_clinic(client, admin)
    person = make_client(client, clinician)
    day = future_day(5)
    session = _ok(
        client.post(
            "/v1/sessions", json=booking(clinic, person, local(day, "10:00")), headers=clinician
        )
    )
    assert session["cautions"] == []
    screening = {
        "screened_on": datetime.now(UTC).date().isoformat(),
        "conditions": ["sensitive_skin"],
    }
    _ok(client.post(f"/v1/clients/{person}/screenings", json=screening, headers=clinician))
    read = _ok(client.get(f"/v1/sessions/{session['id']}", headers=clinician))
    listed = _ok(client.get("/v1/sessions", params={"client_id": person}, headers=clinician))
    assert read["cautions"] == [{"code": "sensitive_skin", "acknowledged": False}]
    assert listed["items"][0]["cautions"] == read["cautions"]


def test_a_client_without_a_summary_reads_from_its_rows_until_migrate_writes_it(
    client: TestClient, admin: Headers, clinician: Headers, database: RollbackDatabase
) -> None:
    clinic = make_clinic(client, admin)
    person = make_client(client, clinician, conditions=("sensitive_skin",))
    session = _ok(
        client.post(
            "/v1/sessions",
            json=booking(clinic, person, local(future_day(5), "10:00")),
            headers=clinician,
        )
    )
    before = _ok(client.get(f"/v1/sessions/{session['id']}", headers=clinician))
    with database.transaction() as db:  # as rows written around the application would be
        db.execute(delete(EligibilitySummary).where(EligibilitySummary.client_id == person))  # type: ignore[arg-type]
    assert _stored(database, person) is None
    after = _ok(client.get(f"/v1/sessions/{session['id']}", headers=clinician))
    assert (
        after["cautions"]
        == before["cautions"]
        == [{"code": "sensitive_skin", "acknowledged": False}]
    )
    with database.transaction() as db:
        assert summarise_missing(db) == 1
    assert _stored(database, person) == _from_sources(database, person)


def test_reading_a_session_is_two_statements(
    client: TestClient, admin: Headers, clinician: Headers, database: RollbackDatabase
) -> None:
    """The key's lookup, then the session with its location's zone, its client's summary and
    the catalogue's version, in one statement (BEGIN/COMMIT aside)."""
    clinic = make_clinic(client, admin)
    person = make_client(client, clinician)
    session = _ok(
        client.post(
            "/v1/sessions",
            json=booking(clinic, person, local(future_day(5), "10:00")),
            headers=clinician,
        )
    )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.connection, "before_cursor_execute", count)
    try:
        _ok(client.get(f"/v1/sessions/{session['id']}", headers=clinician))
    finally:
        event.remove(database.connection, "before_cursor_execute", count)
    real = [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(real) == 2, real


@pytest.fixture
def committed(tmp_path: Path) -> Iterator[Database]:
    """A database of its own whose transactions really commit."""
    url = create_database(str(tmp_path))
    database = Database(url)
    migrate(database)
    yield database
    database.dispose()
    drop_database(url)


def test_two_transactions_screening_one_client_at_once_both_reach_the_summary(
    committed: Database,
) -> None:
    """Each transaction rewrites the summary from the rows committed when it commits, so the
    last to commit writes both screenings."""
    with committed.transaction() as db:
        person = Client(first_name="Ada", last_name="Test", date_of_birth=date(1990, 1, 1))
        db.add(person)
        db.flush()
        client_id = person.id
    first_flushed = threading.Event()
    failures: list[BaseException] = []

    def screen(conditions: list[str], wait: threading.Event | None) -> None:
        try:
            if wait is not None:
                assert wait.wait(10)
            with committed.transaction() as db:
                db.add(
                    Screening(
                        client_id=client_id, screened_on=date(2026, 11, 1), conditions=conditions
                    )
                )
                db.flush()
                follow(db, client_id)  # as the use cases do
                if wait is None:
                    first_flushed.set()
                    threading.Event().wait(0.5)  # the other one flushes meanwhile
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [
        threading.Thread(target=screen, args=(["keloid_history"], None)),
        threading.Thread(target=screen, args=(["sensitive_skin"], first_flushed)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    stored = _stored(committed, client_id)
    assert stored == _from_sources(committed, client_id)
    assert stored is not None
    assert sorted(c for s in stored.screenings for c in s.conditions) == [
        "keloid_history",
        "sensitive_skin",
    ]


@pytest.mark.skipif(
    server_url() is None, reason="SQLite has one writer: two rewrites never overlap"
)
def test_a_second_rewrite_of_a_summary_waits_for_the_first_and_reads_its_screening(
    committed: Database,
) -> None:
    """Two transactions rewriting one client's summary at the same moment (their pre-commit
    steps): the second waits for the first's commit, then reads both screenings."""
    with committed.transaction() as db:
        person = Client(first_name="Ada", last_name="Test", date_of_birth=date(1990, 1, 1))
        db.add(person)
        db.flush()
        client_id = person.id
    first, second = committed.session(write=True), committed.session(write=True)
    failures: list[BaseException] = []

    def rewrite_second() -> None:
        try:
            second.add(
                Screening(
                    client_id=client_id,
                    screened_on=date(2026, 11, 2),
                    conditions=["sensitive_skin"],
                )
            )
            second.flush()
            write_summaries(second, [client_id])
            second.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    try:
        first.add(
            Screening(
                client_id=client_id, screened_on=date(2026, 11, 1), conditions=["keloid_history"]
            )
        )
        first.flush()
        write_summaries(first, [client_id])
        thread = threading.Thread(target=rewrite_second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "the second rewrite did not wait for the first"
        first.commit()
        thread.join(10)
    finally:
        first.close()
        second.close()
    assert not failures, failures
    stored = _stored(committed, client_id)
    assert stored is not None
    assert sorted(c for s in stored.screenings for c in s.conditions) == [
        "keloid_history",
        "sensitive_skin",
    ]


def test_a_booking_reads_its_clients_eligibility_with_its_references(
    client: TestClient, admin: Headers, clinician: Headers, database: RollbackDatabase
) -> None:
    """No statement of its own for eligibility: the summary comes with the client, provider,
    location and room; a contraindication recorded since still refuses the booking."""
    clinic = make_clinic(client, admin)
    person = make_client(client, clinician)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(" ".join(args[2].split()))

    body = booking(clinic, person, local(future_day(5), "10:00"))
    event.listen(database.connection, "before_cursor_execute", count)
    try:
        _ok(client.post("/v1/sessions", json=body, headers=clinician))
    finally:
        event.remove(database.connection, "before_cursor_execute", count)
    eligibility_reads = [
        s
        for s in statements
        if s.startswith("SELECT")
        and any(
            f"FROM {table}" in s
            for table in (
                "screenings",
                "condition_retractions",
                "eligibility_overrides",
                "eligibility_summaries",
            )
        )
    ]
    assert eligibility_reads == [], eligibility_reads
    screening = {"screened_on": datetime.now(UTC).date().isoformat(), "conditions": ["pregnancy"]}
    _ok(client.post(f"/v1/clients/{person}/screenings", json=screening, headers=clinician))
    refused = client.post(
        "/v1/sessions",
        json=booking(clinic, person, local(future_day(5), "14:00")),
        headers=clinician,
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("/not-eligible")
