"""Idle delivery lanes take turns to look for due deliveries (issue 12): an idle worker looks
about every 0.25 s whatever its number of lanes, a delivery falling due is still sent at once,
and a lane that finds work lets the others start on the rest without waiting their turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from needleplan.auth.service import CLI_CALLER
from needleplan.config import Settings
from needleplan.db import Database
from needleplan.locations import service as locations
from needleplan.locations.schemas import LocationCreate
from needleplan.migrations import migrate
from needleplan.webhooks import service, worker
from needleplan.webhooks.schemas import WebhookEndpointCreate
from tests.conftest import create_database, drop_database
from tests.webhooks.receiver import Receiver, receiver


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = create_database(str(tmp_path))
    database = Database(url)
    try:
        migrate(database)
        yield database
    finally:
        database.dispose()
        drop_database(url)


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    stop = threading.Event()
    yield stop
    stop.set()
    time.sleep(2 * worker.POLL_SECONDS)  # the lanes see it within one turn


def _book_a_location(database: Database, hooks: list[Receiver]) -> None:
    with database.transaction() as db:
        for hook in hooks:
            body = WebhookEndpointCreate(url=hook.url, event_types=["location.created"])
            service.create_endpoint(db, CLI_CALLER, body, allow_private=True)
        locations.create_location(
            db, CLI_CALLER, LocationCreate(name="L", time_zone="Europe/Berlin")
        )


def test_an_idle_worker_looks_every_quarter_second_not_once_per_lane(
    database: Database, stop: threading.Event
) -> None:
    looks: list[str] = []

    def count(*listened: Any) -> None:
        if "FROM webhook_deliveries" in listened[2]:
            looks.append(listened[2])

    settings = Settings(database_url=database.url)
    worker.start(database, settings, stop, lanes=8)
    time.sleep(0.3)
    event.listen(database.engine, "before_cursor_execute", count)
    try:
        time.sleep(1.0)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    # A look reads the oldest pending delivery and whether any is due: two statements. Once
    # per lane, 8 lanes would look 32 times a second.
    assert 2 <= len(looks) <= 2 * 6, len(looks)


def test_a_delivery_falling_due_on_an_idle_worker_is_sent_at_once(
    database: Database, stop: threading.Event
) -> None:
    settings = Settings(database_url=database.url, webhook_allow_private=True)
    worker.start(database, settings, stop, lanes=4)
    time.sleep(0.6)
    with receiver() as hook:
        _book_a_location(database, [hook])
        due = time.monotonic()
        while not hook.received and time.monotonic() - due < 5:
            time.sleep(0.01)
        waited = time.monotonic() - due
    assert len(hook.received) == 1
    assert waited < 4 * worker.POLL_SECONDS, waited


def test_lanes_start_on_a_burst_together_not_one_turn_after_another(
    database: Database, stop: threading.Event
) -> None:
    """Four slow endpoints, one delivery each: four lanes send them side by side, the idle
    ones joining as soon as the first finds work rather than a turn (0.25 s) apart."""
    settings = Settings(database_url=database.url, webhook_allow_private=True)
    worker.start(database, settings, stop, lanes=4)
    time.sleep(0.6)
    with receiver() as a, receiver() as b, receiver() as c, receiver() as d:
        hooks = [a, b, c, d]
        for hook in hooks:
            hook.delay = 1.0
        _book_a_location(database, hooks)
        due = time.monotonic()
        while not all(h.received for h in hooks) and time.monotonic() - due < 10:
            time.sleep(0.01)
        waited = time.monotonic() - due
        assert all(len(h.received) == 1 for h in hooks)
    # Turn after turn, the fourth would arrive 0.75 s after the first at the earliest.
    assert waited < 2 * worker.POLL_SECONDS + 0.2, waited
