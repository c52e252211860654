"""Writing events: queued by the use case with its audit record, written by the same commit.

``emit`` queues (type, subject); ``db.commit`` runs ``_write`` as the transaction's last step, so
an event exists exactly when its change does. A package above may follow a subject kind
(``follows``): its step runs at that commit too, with each event's (subject id, event type).
Its ``data`` is the subject as its ``GET`` returns it at that moment, rendered by the renderer
its package registers (``renders``) for the richest role, and for an ``integration`` key
(derived from the richest render when the package says how), so a reader later gets the state
at the time of the event, filtered for its role, without rendering anything. An event that is
no change of its subject carries its own ``data`` (``emit_with_data``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, SQLModel

from needleplan.auth.roles import Role
from needleplan.db import PreCommitStep, queue_for_commit
from needleplan.events import catalogue, position, repository
from needleplan.kit.ids import new_id
from needleplan.kit.time import utc_now
from needleplan.webhooks import fanout

# Renders a subject for a role: the GET answer, or None once the subject is gone (a deletion).
Renderer = Callable[[Session, str, Role], BaseModel | None]
# The integration key's view derived from the richest role's render (drops what it may not see).
Narrower = Callable[[BaseModel], BaseModel]

_RENDERERS: dict[str, Renderer] = {}
_NARROWERS: dict[str, Narrower] = {}
_FOLLOWERS: dict[str, list[PreCommitStep]] = {}


def renders(kind: str, renderer: Renderer, *, narrowed: Narrower | None = None) -> None:
    """Register how a subject kind reads (each package registers its own, next to its use cases).

    ``narrowed``: how the integration view follows from the richest one, so the subject is read
    and rendered once per event; without it, the renderer runs again for the integration role."""
    _RENDERERS[kind] = renderer
    if narrowed is None:
        _NARROWERS.pop(kind, None)
    else:
        _NARROWERS[kind] = narrowed


def renders_row(kind: str, model: type[SQLModel], read: type[BaseModel]) -> None:
    """A subject whose GET is ``read.model_validate`` of its row, the same for every role."""

    def render(db: Session, subject_id: str, role: Role) -> BaseModel | None:
        row = db.get(model, subject_id)
        return None if row is None else read.model_validate(row)

    renders(kind, render, narrowed=_same)


def _same(read: BaseModel) -> BaseModel:
    return read


def follows(kind: str, step: PreCommitStep) -> None:
    """Run ``step`` before the commit of every transaction that emits an event of ``kind``, with
    a ``(subject_id, event_type)`` pair per event (in emission order, repeats included), so the
    step knows what happened to each subject, not only that something did. A package above the
    subject's keeps its own rows in step with the subject this way without the subject's package
    importing it (notices follow sessions)."""
    steps = _FOLLOWERS.setdefault(kind, [])
    if step not in steps:
        steps.append(step)


def emit(db: Session, event_type: str, kind: str, subject_id: str) -> None:
    """Queue one event on ``db``'s transaction; it is written if and when the transaction commits."""
    assert event_type in catalogue.EVENT_TYPES, event_type
    queue_for_commit(db, _write, [(event_type, kind, subject_id, utc_now(), None)])
    for step in _FOLLOWERS.get(kind, ()):
        queue_for_commit(db, step, [(subject_id, event_type)])


def emit_with_data(
    db: Session, event_type: str, kind: str, subject_id: str, data: dict[str, Any]
) -> None:
    """Queue an event whose ``data`` is given rather than rendered from its subject (a notice
    falling due: what is due, not the session). Every role that sees the kind reads the same
    ``data``, so it carries nothing an ``integration`` key may not see. Followers do not run:
    the subject did not change."""
    assert event_type in catalogue.EVENT_TYPES, event_type
    queue_for_commit(db, _write, [(event_type, kind, subject_id, utc_now(), data)])


def emit_audited(db: Session, resource: str, action: str, resource_id: str) -> None:
    """The event of an audit record (``audit.service.record`` calls it for every record)."""
    event_type, kind = catalogue.TYPES[(resource, action)]
    emit(db, event_type, kind, resource_id)


def _dumped(subject_id: str, rendered: BaseModel | None) -> dict[str, Any]:
    if rendered is None:
        return {"id": subject_id}
    data: dict[str, Any] = rendered.model_dump(mode="json", by_alias=True)
    return data


def _payloads(
    db: Session, kind: str, subject_id: str, shown: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the richest role's payload, the integration key's or None when it may not see it): the
    subject rendered once when its package says how the integration view follows from it."""
    render = _RENDERERS[kind]
    rich = render(db, subject_id, Role.admin)
    data = _dumped(subject_id, rich)
    if not shown:
        return data, None
    narrow = _NARROWERS.get(kind)
    if narrow is None:
        return data, _dumped(subject_id, render(db, subject_id, Role.integration))
    if rich is None:
        return data, {"id": subject_id}
    narrowed = narrow(rich)
    return data, data if narrowed is rich else _dumped(subject_id, narrowed)


def _write(db: Session, items: list[Any]) -> None:
    db.flush()
    xid = position.stamp(db)
    written: list[dict[str, Any]] = []
    for event_type, kind, subject_id, occurred_at, given in items:
        shown = catalogue.reader_of(kind) is Role.integration
        if given is None:
            data, data_private = _payloads(db, kind, subject_id, shown)
        else:
            data, data_private = given, given if shown else None
        written.append(
            {
                "id": new_id(),
                "type": event_type,
                "subject_kind": kind,
                "subject_id": subject_id,
                "occurred_at": occurred_at,
                "data": data,
                "data_private": data_private,
            }
        )
    repository.insert_events(db, written, xid=xid)
    # Each event's webhook deliveries, in the same transaction (at least once, never lost).
    fanout.deliveries_for(db, written)
