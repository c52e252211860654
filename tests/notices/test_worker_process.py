"""``needleplan worker`` emits due notices as a real process: killed with SIGKILL while it works
and started again, it emits each due notice exactly once (one ``session.notice_due`` event per
notice in the events table). On PostgreSQL two workers share the work (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from needleplan.auth.roles import Role
from needleplan.auth.service import create_api_key
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.main import create_app
from needleplan.migrations import migrate
from needleplan.models import Event, SessionNotice
from tests.clock import at
from tests.conftest import create_database, drop_database, server_url
from tests.factories import BERLIN, booked, booking, local, make_client, make_clinic

SESSIONS = 24
PARALLEL = 3  # rooms and providers: eight hourly sessions each
NOTICES_EACH = 5  # the shipped defaults, all due by now
EMITTED_EACH = 2  # the aftercare; the reminders and pre-care are past their session's start


def _worker(url: str) -> subprocess.Popen[bytes]:
    # One notice per transaction, so the kill lands while most are still scheduled.
    env = {
        **os.environ,
        "NEEDLEPLAN_NOTICE_BATCH_SIZE": "1",
        "NEEDLEPLAN_NOTICE_POLL_SECONDS": "0.2",
    }
    command = [sys.executable, "-m", "needleplan.cli", "worker", "--database-url", url]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


def _emitted(database: Database) -> tuple[Counter[tuple[str, str, int]], int]:
    """(notice_due events per session, code and version; notices still scheduled)."""
    with database.transaction(write=False) as db:
        events = db.exec(select(Event).where(Event.type == "session.notice_due")).all()
        pending = db.exec(select(SessionNotice).where(SessionNotice.state == "scheduled")).all()
    counts = Counter(
        (e.data["session_id"], e.data["code"], e.data["session_version"]) for e in events
    )
    return counts, len(pending)


def _emitted_count(database: Database) -> int:
    """How many ``session.notice_due`` events there are: one cheap query, so the loop waiting
    for the first emissions notices them before the workers have done everything."""
    with database.transaction(write=False) as db:
        return db.exec(
            select(func.count()).select_from(Event).where(Event.type == "session.notice_due")
        ).one()


def _book_past_sessions(database: Database, url: str) -> set[tuple[str, str, int]]:
    """Sessions booked four days before their start, which was two days ago: every notice is
    due now, none was past at booking. Returns the notices to be emitted (session, code,
    version)."""
    app = create_app(Settings(database_url=url), database)
    with database.transaction() as db:
        _, key = create_api_key(db, name="admin", role=Role.admin)
    admin = {"Authorization": f"Bearer {key.secret}"}
    day = (datetime.now(BERLIN) - timedelta(days=2)).date()
    booked_at = datetime.fromisoformat(local(day, "07:00")) - timedelta(days=4)
    with TestClient(app) as client, at(booked_at):
        clinic = make_clinic(client, admin, rooms=PARALLEL, providers=PARALLEL)
        expected = set()
        for n in range(SESSIONS):
            person = make_client(client, admin, name=f"Client{n}")
            wall = f"{8 + n // PARALLEL:02d}:00"
            at_once = n % PARALLEL
            body = booking(clinic, person, local(day, wall), room=at_once, provider=at_once)
            session = booked(client, admin, body)
            # The reminders and pre-care missed the start (no worker ran): dropped, not sent.
            expected |= {
                (session["id"], code, 1) for code in ("aftercare_end", "aftercare_sun_24h")
            }
    return expected


@pytest.mark.slow
def test_a_killed_worker_emits_each_due_notice_exactly_once(tmp_path: Path) -> None:
    url = create_database(str(tmp_path))
    database = Database(url)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        migrate(database)
        expected = _book_past_sessions(database, url)
        assert len(expected) == SESSIONS * EMITTED_EACH
        assert _emitted(database) == (Counter(), SESSIONS * NOTICES_EACH)
        many = 2 if server_url() else 1  # SQLite: one worker is the supported setup
        first = [_worker(url) for _ in range(many)]
        workers += first
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _emitted_count(database) < 3:
            time.sleep(0.005)
        for process in first:
            process.send_signal(signal.SIGKILL)
            process.wait()
        counts, pending = _emitted(database)
        assert pending > 0, "the workers finished before the kill: nothing was tested"
        assert max(counts.values()) == 1
        workers += [_worker(url) for _ in range(many)]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _emitted(database)[1] > 0:
            time.sleep(0.2)
        time.sleep(1.0)  # a duplicate would show up by now
        counts, pending = _emitted(database)
        assert pending == 0
        assert set(counts) == expected
        assert set(counts.values()) == {1}
    finally:
        for process in workers:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        database.dispose()
        drop_database(url)
