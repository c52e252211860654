"""The statements that read webhook endpoints and deliveries (the worker's claim: claim.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, insert
from sqlalchemy import select as core_select
from sqlmodel import Session, col, delete, func, select

from needleplan.kit.pagination import keyset_page
from needleplan.models import Event, WebhookDelivery, WebhookEndpoint

_DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[attr-defined]  # SQLModel does not declare it
# Built once, run as Core on the transaction's connection: the fan-out of a booking's event
# writes its deliveries without building and flushing ORM objects.
_INSERT_DELIVERIES = insert(_DELIVERIES)


def insert_deliveries(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Deliveries in one statement (an executemany for several), every column given."""
    if rows:
        db.connection().execute(_INSERT_DELIVERIES, list(rows))


# Built once; what the fan-out matches an event against, as Core rows (every write of an event
# reads it, and there are rarely more than a few endpoints).
_ENABLED_ENDPOINTS = core_select(
    col(WebhookEndpoint.id), col(WebhookEndpoint.role), col(WebhookEndpoint.event_types)
).where(col(WebhookEndpoint.enabled).is_(True))


def enabled_endpoints(db: Session) -> Sequence[Row[str, str, list[str]]]:
    """The enabled endpoints' ``id``, ``role`` and ``event_types``. The caller has flushed the
    transaction's changes to endpoints, if any."""
    return db.connection().execute(_ENABLED_ENDPOINTS).all()


def page_of_endpoints(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[WebhookEndpoint], str | None]:
    return keyset_page(db, select(WebhookEndpoint), WebhookEndpoint.id, limit=limit, cursor=cursor)


def page_of_deliveries(
    db: Session, endpoint_id: str, *, limit: int, cursor: str | None
) -> tuple[list[WebhookDelivery], str | None]:
    statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return keyset_page(db, statement, WebhookDelivery.id, limit=limit, cursor=cursor)


def delete_deliveries_of(db: Session, endpoint_id: str) -> None:
    db.exec(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id))


def event_by_id(db: Session, event_id: str) -> Event | None:
    return db.exec(select(Event).where(Event.id == event_id)).first()


def last_success(db: Session, endpoint_id: str) -> datetime | None:
    """When a delivery to the endpoint last succeeded (None: never)."""
    return db.exec(
        select(func.max(WebhookDelivery.updated_at)).where(
            WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.state == "succeeded"
        )
    ).one()


def first_failure_since(db: Session, endpoint_id: str, since: datetime | None) -> datetime | None:
    """The creation of the oldest delivery tried without success since ``since``."""
    statement = select(func.min(WebhookDelivery.created_at)).where(
        WebhookDelivery.endpoint_id == endpoint_id,
        WebhookDelivery.state != "succeeded",
        col(WebhookDelivery.attempts) > 0,
    )
    if since is not None:
        statement = statement.where(col(WebhookDelivery.created_at) > since)
    return db.exec(statement).one()


def oldest_pending(db: Session) -> datetime | None:
    return db.exec(
        select(func.min(WebhookDelivery.created_at)).where(WebhookDelivery.state == "pending")
    ).one()
