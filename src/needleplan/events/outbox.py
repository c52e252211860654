"""Writing events: queued by the use case with its audit record, written by the same commit.

``emit`` queues (type, subject); ``db.commit`` runs ``_write`` as the transaction's last step, so
an event exists exactly when its change does. Its ``data`` is the subject as its ``GET`` returns
it at that moment, rendered by the renderer its package registers (``renders``): once for the
richest role and once for an ``integration`` key, so a reader later gets the state at the time
of the event, filtered for its role, without rendering anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, SQLModel

from needleplan.auth.roles import Role
from needleplan.db import queue_for_commit
from needleplan.events import catalogue, position
from needleplan.kit.ids import new_id
from needleplan.kit.time import utc_now
from needleplan.models import Event
from needleplan.webhooks import fanout

# Renders a subject for a role: the GET answer, or None once the subject is gone (a deletion).
Renderer = Callable[[Session, str, Role], BaseModel | None]

_RENDERERS: dict[str, Renderer] = {}


def renders(kind: str, renderer: Renderer) -> None:
    """Register how a subject kind reads (each package registers its own, next to its use cases)."""
    _RENDERERS[kind] = renderer


def renders_row(kind: str, model: type[SQLModel], read: type[BaseModel]) -> None:
    """A subject whose GET is ``read.model_validate`` of its row, the same for every role."""

    def render(db: Session, subject_id: str, role: Role) -> BaseModel | None:
        row = db.get(model, subject_id)
        return None if row is None else read.model_validate(row)

    renders(kind, render)


def emit(db: Session, event_type: str, kind: str, subject_id: str) -> None:
    """Queue one event on ``db``'s transaction; it is written if and when the transaction commits."""
    assert event_type in catalogue.EVENT_TYPES, event_type
    queue_for_commit(db, _write, [(event_type, kind, subject_id, utc_now())])


def emit_audited(db: Session, resource: str, action: str, resource_id: str) -> None:
    """The event of an audit record (``audit.service.record`` calls it for every record)."""
    event_type, kind = catalogue.TYPES[(resource, action)]
    emit(db, event_type, kind, resource_id)


def _payload(db: Session, kind: str, subject_id: str, role: Role) -> dict[str, Any]:
    rendered = _RENDERERS[kind](db, subject_id, role)
    if rendered is None:
        return {"id": subject_id}
    data: dict[str, Any] = rendered.model_dump(mode="json", by_alias=True)
    return data


def _write(db: Session, items: list[Any]) -> None:
    db.flush()
    xid = position.stamp(db)
    written: list[Event] = []
    for event_type, kind, subject_id, occurred_at in items:
        shown = catalogue.reader_of(kind) is Role.integration
        written.append(
            Event(
                id=new_id(),
                xid=xid,
                type=event_type,
                subject_kind=kind,
                subject_id=subject_id,
                occurred_at=occurred_at,
                data=_payload(db, kind, subject_id, Role.admin),
                data_private=_payload(db, kind, subject_id, Role.integration) if shown else None,
            )
        )
    db.add_all(written)
    # Each event's webhook deliveries, in the same transaction (at least once, never lost).
    fanout.deliveries_for(db, written)
    db.flush()
