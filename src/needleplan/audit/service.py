"""The audit trail: every mutation records who did what to which resource, in its transaction,
and emits the change feed's event for it (events/outbox.py) in that same transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from needleplan.events.outbox import emit_audited
from needleplan.models import AuditEvent

if TYPE_CHECKING:  # auth.service records its own mutations through this module
    from needleplan.auth.service import Caller


def record(db: Session, caller: Caller, action: str, resource: str, resource_id: str) -> None:
    """The one way a mutation is audited: one row per mutated resource, written by the use case
    (the service layer) in the mutation's transaction, never by a router or the command line.
    It also queues the mutation's event (events/catalogue.py names its type), so the audit trail
    and the change feed cannot disagree."""
    db.add(
        AuditEvent(
            api_key_id=caller.key_id, action=action, resource=resource, resource_id=resource_id
        )
    )
    emit_audited(db, resource, action, resource_id)
