"""The audit trail: every mutation records who did what to which resource, in its transaction,
and emits the change feed's event for it (events/outbox.py) in that same transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from needleplan.audit import repository
from needleplan.db import queue_for_commit
from needleplan.events.outbox import emit_audited
from needleplan.kit.ids import new_id
from needleplan.kit.time import utc_now

if TYPE_CHECKING:  # auth.service records its own mutations through this module
    from needleplan.auth.service import Caller


def record(db: Session, caller: Caller, action: str, resource: str, resource_id: str) -> None:
    """The one way a mutation is audited: one row per mutated resource, written by the use case
    (the service layer) in the mutation's transaction, never by a router or the command line.
    It also queues the mutation's event (events/catalogue.py names its type), so the audit trail
    and the change feed cannot disagree."""
    # The row's values are fixed now; it is written with the transaction's others at commit.
    row = {
        "id": new_id(),
        "api_key_id": caller.key_id,
        "action": action,
        "resource": resource,
        "resource_id": resource_id,
        "occurred_at": utc_now(),
    }
    queue_for_commit(db, _write, [row])
    emit_audited(db, resource, action, resource_id)


def _write(db: Session, rows: list[Any]) -> None:
    """The transaction's audit rows, in one statement, just before it commits (``db.commit``)."""
    repository.insert_audit_events(db, rows)
