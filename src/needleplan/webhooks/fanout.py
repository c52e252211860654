"""A delivery per (event, matching enabled endpoint), written with the event by its commit.

Its first attempt is due the schedule's first delay after the event (schedule.py), read from
the process's settings like the worker's: the API and its workers share one environment.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from needleplan.auth.roles import Role
from needleplan.db import settings_of
from needleplan.events import catalogue
from needleplan.models import Event, WebhookDelivery, WebhookEndpoint
from needleplan.webhooks import repository, schedule

TEST = "webhook.test"


def wants(endpoint: WebhookEndpoint, event: Event) -> bool:
    """Whether ``event`` goes to ``endpoint``: its types match and its role may see the event
    (as on the change feed); a test event goes to its own endpoint only."""
    if event.type == TEST:
        return event.subject_id == endpoint.id
    if event.subject_kind in catalogue.hidden_kinds(Role(endpoint.role)):
        return False
    kind = event.type.split(".")[0]
    types = endpoint.types()
    return "*" in types or event.type in types or f"{kind}.*" in types


def deliveries_for(db: Session, events: Sequence[Event]) -> None:
    if not events:
        return
    endpoints = repository.enabled_endpoints(db)
    retry_schedule = settings_of(db).webhook_retry_schedule
    for event in events:
        for endpoint in endpoints:
            if wants(endpoint, event):
                wait = schedule.wait_before(retry_schedule, 1)
                assert wait is not None  # the schedule is never empty (config.py)
                db.add(
                    WebhookDelivery(
                        endpoint_id=endpoint.id,
                        event_id=event.id,
                        event_type=event.type,
                        next_attempt_at=event.occurred_at + wait,
                    )
                )
