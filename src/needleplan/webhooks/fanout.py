"""A delivery per (event, matching enabled endpoint), written with the event by its commit.

Its first attempt is due the schedule's first delay after the event (schedule.py), read from
the process's settings like the worker's: the API and its workers share one environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session

from needleplan.auth.roles import Role
from needleplan.db import settings_of
from needleplan.events import catalogue
from needleplan.kit.ids import new_id
from needleplan.kit.time import utc_now
from needleplan.webhooks import repository, schedule

TEST = "webhook.test"


def wants(endpoint: Row[str, str, list[str]], event: Mapping[str, Any]) -> bool:
    """Whether ``event`` (an events row's columns) goes to ``endpoint`` (its ``id``, ``role`` and
    ``event_types``): its types match and its role may see the event (as on the change feed); a
    test event goes to its own endpoint only."""
    event_type: str = event["type"]
    if event_type == TEST:
        return bool(event["subject_id"] == endpoint.id)
    if event["subject_kind"] in catalogue.hidden_kinds(Role(endpoint.role)):
        return False
    kind = event_type.split(".")[0]
    types: list[str] = list(endpoint.event_types)
    return "*" in types or event_type in types or f"{kind}.*" in types


def deliveries_for(db: Session, events: Sequence[Mapping[str, Any]]) -> None:
    """Write the deliveries of ``events``, the rows just written to the events table (their
    columns by name), one per event and enabled endpoint that wants it."""
    if not events:
        return
    endpoints = repository.enabled_endpoints(db)
    if not endpoints:
        return
    retry_schedule = settings_of(db).webhook_retry_schedule
    rows: list[dict[str, Any]] = []
    for event in events:
        for endpoint in endpoints:
            if wants(endpoint, event):
                wait = schedule.wait_before(retry_schedule, 1)
                assert wait is not None  # the schedule is never empty (config.py)
                rows.append(
                    {
                        "id": new_id(),
                        "endpoint_id": endpoint.id,
                        "event_id": event["id"],
                        "event_type": event["type"],
                        "state": "pending",
                        "attempts": 0,
                        "last_status_code": None,
                        "last_error": None,
                        "last_duration_ms": None,
                        "next_attempt_at": event["occurred_at"] + wait,
                        "created_at": utc_now(),
                        "updated_at": None,
                    }
                )
    repository.insert_deliveries(db, rows)
