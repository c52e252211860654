"""The audit trail: every mutation records who did what to which resource, in its transaction."""

from __future__ import annotations

from sqlmodel import Session

from needleplan.auth.service import Caller
from needleplan.models import AuditEvent


def record(db: Session, caller: Caller, action: str, resource: str, resource_id: str) -> None:
    db.add(
        AuditEvent(
            api_key_id=caller.key_id, action=action, resource=resource, resource_id=resource_id
        )
    )
