"""``needleplan worker`` is a real process: killed with SIGKILL in the middle of a batch and
started again, it delivers every event at least once, each with its event's ``webhook-id``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import select
from standardwebhooks.webhooks import Webhook

from needleplan.auth.service import CLI_CALLER
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.locations import service as locations
from needleplan.locations.schemas import LocationCreate
from needleplan.migrations import migrate
from needleplan.models import Event, WebhookDelivery
from needleplan.webhooks import service, worker
from needleplan.webhooks.schemas import WebhookEndpointCreate
from tests.conftest import create_database, drop_database
from tests.webhooks.receiver import receiver

EVENTS = 12


def _worker(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEEDLEPLAN_WEBHOOK_ALLOW_PRIVATE": "true"}
    command = [sys.executable, "-m", "needleplan.cli", "worker", "--database-url", url]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


def _all_succeeded(database: Database) -> bool:
    """Every delivery recorded as succeeded: those the killed worker had in flight were
    claimed again once their lease ended (webhooks/claim.py)."""
    with database.transaction(write=False) as db:
        states = [d.state for d in db.exec(select(WebhookDelivery)).all()]
    return len(states) == EVENTS and set(states) == {"succeeded"}


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing(tmp_path: Path) -> None:
    url = create_database(str(tmp_path))
    database = Database(url)
    try:
        migrate(database)
        with receiver() as hooks:
            hooks.delay = 0.5
            with database.transaction() as db:
                body = WebhookEndpointCreate(url=hooks.url, event_types=["location.created"])
                secret = service.create_endpoint(db, CLI_CALLER, body, allow_private=True).secret
                for n in range(EVENTS):
                    locations.create_location(
                        db, CLI_CALLER, LocationCreate(name=f"L{n}", time_zone="Europe/Berlin")
                    )
            with database.transaction() as db:
                expected = {
                    e.id for e in db.exec(select(Event)).all() if e.type == "location.created"
                }
            first = _worker(url)
            deadline = time.monotonic() + 30
            while len(hooks.received) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            first.send_signal(signal.SIGKILL)
            first.wait()
            assert len(hooks.received) < EVENTS
            second = _worker(url)
            try:
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline and not _all_succeeded(database):
                    time.sleep(0.2)
            finally:
                second.terminate()
                second.wait(timeout=30)
        assert _all_succeeded(database)
        assert {r.headers["webhook-id"] for r in hooks.received} == expected
        for got in hooks.received:
            assert Webhook(secret).verify(got.body, got.headers)["id"] == got.headers["webhook-id"]
    finally:
        database.dispose()
        drop_database(url)


@pytest.mark.slow
def test_a_slow_endpoint_does_not_stall_the_others(tmp_path: Path) -> None:
    """Lanes claim and send independently: deliveries to a fast endpoint keep arriving while
    a slow one holds a lane."""
    url = create_database(str(tmp_path))
    database = Database(url)
    stop = threading.Event()
    try:
        migrate(database)
        with receiver() as slow, receiver() as fast:
            slow.delay = 5.0
            with database.transaction() as db:
                for hooks in (slow, fast):
                    body = WebhookEndpointCreate(url=hooks.url, event_types=["location.created"])
                    service.create_endpoint(db, CLI_CALLER, body, allow_private=True)
                for n in range(4):
                    locations.create_location(
                        db, CLI_CALLER, LocationCreate(name=f"L{n}", time_zone="Europe/Berlin")
                    )
            settings = Settings(database_url=url, webhook_allow_private=True)
            started = time.monotonic()
            worker.start(database, settings, stop, lanes=3)
            while len(fast.received) < 4 and time.monotonic() - started < 20:
                time.sleep(0.05)
            elapsed = time.monotonic() - started
            stop.set()
        assert len(fast.received) == 4
        assert elapsed < 5.0, elapsed
    finally:
        stop.set()
        time.sleep(0.5)
        database.dispose()
        drop_database(url)
