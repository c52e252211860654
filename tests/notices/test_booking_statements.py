"""The notices step of a booking (issue 12): a session booked in the transaction gets its
notices without the session being read again or its (not yet existing) notices looked for, and
a session that may have notices still has them looked for, so none is ever scheduled twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session, col, select

from needleplan.kit.statuses import SessionStatus
from needleplan.models import SessionNotice, TreatmentSession
from needleplan.notices.service import schedule_for_sessions
from tests.conftest import Headers, RollbackDatabase
from tests.factories import booking, future_day, local, make_client, make_clinic, make_rows

DEFAULT_CODES = {
    "pre_care_72h",
    "reminder_24h",
    "reminder_2h",
    "aftercare_end",
    "aftercare_sun_24h",
}


def _statements_of(
    database: RollbackDatabase, call: Any, *args: Any, **kwargs: Any
) -> tuple[Any, list[str]]:
    statements: list[str] = []

    def count(*listened: Any) -> None:
        statements.append(" ".join(listened[2].split()))

    event.listen(database.connection, "before_cursor_execute", count)
    try:
        result = call(*args, **kwargs)
    finally:
        event.remove(database.connection, "before_cursor_execute", count)
    return result, statements


def _notice_codes(db: Session, session_id: str) -> list[str]:
    rows = db.exec(select(SessionNotice).where(col(SessionNotice.session_id) == session_id))
    return sorted(row.notice_code for row in rows)


def _new_session(db: Session) -> TreatmentSession:
    provider, room, location, person = make_rows(db)
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    session = TreatmentSession(
        client_id=person,
        provider_id=provider,
        room_id=room,
        location_id=location,
        areas=["full_face"],
        intensity="standard",
        numbing=False,
        numbing_minutes=0,
        treatment_minutes=30,
        turnover_minutes=10,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        status=SessionStatus.booked,
    )
    db.add(session)
    db.flush()
    return session


def test_a_booking_gets_its_notices_without_reading_back_its_session_or_notices(
    client: TestClient, database: RollbackDatabase, admin: Headers, clinician: Headers
) -> None:
    clinic = make_clinic(client, admin, providers=1)
    person = make_client(client, clinician)
    body = booking(clinic, person, local(future_day(10), "10:00"))
    response, statements = _statements_of(
        database, client.post, "/v1/sessions", json=body, headers=clinician
    )
    assert response.status_code == 201, response.text
    session = response.json()
    notices = client.get(f"/v1/sessions/{session['id']}/notices", headers=clinician)
    assert {n["code"] for n in notices.json()["items"]} == DEFAULT_CODES
    reads = [s for s in statements if s.startswith("SELECT")]
    assert not [s for s in reads if "FROM session_notices" in s], reads
    assert not [s for s in reads if "WHERE treatment_sessions.id IN" in s], reads


def test_a_session_scheduled_twice_in_its_booking_transaction_gets_each_notice_once(
    database: RollbackDatabase,
) -> None:
    with database.transaction() as db:
        session = _new_session(db)
        schedule_for_sessions(db, {session.id: True}, created={session.id})
        # Its notices exist now: a second pass must find them, not add them again.
        schedule_for_sessions(db, {session.id: True}, created={session.id})
        assert _notice_codes(db, session.id) == sorted(DEFAULT_CODES)


def test_a_session_booked_in_an_earlier_transaction_of_the_same_session_is_looked_up(
    database: RollbackDatabase,
) -> None:
    db = database.session(write=True)
    try:
        session = _new_session(db)
        db.commit()
        # Another transaction gives it its notices.
        with database.transaction() as other:
            schedule_for_sessions(other, {session.id: True})
        # A new transaction on the first ORM session: the session is not new in it any more, so
        # its notices are looked for and moved, not added again.
        session.starts_at += timedelta(hours=1)
        session.ends_at += timedelta(hours=1)
        db.flush()
        _, statements = _statements_of(database, schedule_for_sessions, db, {session.id: True})
        assert [s for s in statements if "FROM session_notices" in s]
        assert _notice_codes(db, session.id) == sorted(DEFAULT_CODES)
        reminder = db.exec(
            select(SessionNotice).where(
                col(SessionNotice.session_id) == session.id,
                col(SessionNotice.notice_code) == "reminder_2h",
            )
        ).one()
        assert reminder.due_at == session.starts_at - timedelta(hours=2)
        db.commit()
    finally:
        db.close()
