"""The statement that writes the change feed's rows (their order and visibility: position.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlmodel import Session

from needleplan.models import Event

_EVENTS: Table = Event.__table__  # type: ignore[attr-defined]  # SQLModel does not declare it
# Built once, run as Core on the transaction's connection: as ORM objects, building and
# flushing a booking's event cost several times the insert itself.
_INSERT_EVENTS = insert(_EVENTS)


def insert_events(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Events in one statement (an executemany for several), every column but ``position``
    given; ``position`` is handed out in the order of ``rows``."""
    if rows:
        db.connection().execute(_INSERT_EVENTS, list(rows))
