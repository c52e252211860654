"""The statement that writes the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import Session

from needleplan.models import AuditEvent

_AUDIT_EVENTS: Table = AuditEvent.__table__  # type: ignore[attr-defined]  # SQLModel does not declare it
# Built once, run as Core on the transaction's connection: as ORM objects, a booking's audit
# row cost a construction and a flush of its own.
_INSERT_AUDIT_EVENTS = insert(_AUDIT_EVENTS)


def insert_audit_events(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Audit rows in one statement (an executemany for several), every column given."""
    if rows:
        db.connection().execute(_INSERT_AUDIT_EVENTS, list(rows))
