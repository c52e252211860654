"""The worker's claim: which due deliveries a worker takes, and how it keeps others off them.

A claim takes up to ``limit`` pending deliveries of enabled endpoints that are due, counts the
attempt and moves ``next_attempt_at`` a lease ahead, in one short transaction. A worker that
dies before it records the outcome leaves the delivery to be claimed again once the lease ends
(at least once; the retry carries the same ``webhook-id``). PostgreSQL: ``FOR UPDATE SKIP
LOCKED``, so any number of workers claim disjoint deliveries. SQLite: write transactions are
serialised, so claims never overlap either (one worker is the supported setup).

A per-clinic claim would replace ``claim`` here without touching the worker.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from needleplan.models import WebhookDelivery, WebhookEndpoint

# Longer than a delivery's 10 s timeout, so a live worker records its outcome first.
LEASE = timedelta(seconds=30)


def _due(now: datetime) -> SelectOfScalar[WebhookDelivery]:
    return (
        select(WebhookDelivery)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(
            WebhookDelivery.state == "pending",
            col(WebhookDelivery.next_attempt_at) <= now,
            col(WebhookEndpoint.enabled).is_(True),
        )
    )


def any_due(db: Session, now: datetime) -> bool:
    """A read, so an idle worker takes no write lock (SQLite has one writer)."""
    return db.exec(_due(now).limit(1)).first() is not None


def claim(
    db: Session, now: datetime, limit: int, *, busy: Collection[str] = ()
) -> list[WebhookDelivery]:
    """Up to ``limit`` due deliveries, none to the ``busy`` endpoints (those this worker is
    sending to already: one slow endpoint then holds one lane, not all of them)."""
    due = _due(now)
    if busy:
        due = due.where(col(WebhookDelivery.endpoint_id).not_in(list(busy)))
    statement = due.order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id)).limit(
        limit
    )
    if db.get_bind().dialect.name != "sqlite":
        statement = statement.with_for_update(skip_locked=True, of=WebhookDelivery)
    rows = list(db.exec(statement).all())
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        row.updated_at = now
    db.flush()
    return rows
