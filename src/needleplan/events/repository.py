"""The statement that writes the change feed's rows (their order and visibility: position.py)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Insert, Table, insert
from sqlmodel import Session

from needleplan.models import Event

_EVENTS: Table = Event.__table__  # type: ignore[attr-defined]  # SQLModel does not declare it
# Built once, run as Core on the transaction's connection: as ORM objects, building and
# flushing a booking's event cost several times the insert itself.
_INSERT_EVENTS = insert(_EVENTS)


def insert_events(
    db: Session, rows: Sequence[dict[str, Any]], *, xid: int | ColumnElement[int]
) -> None:
    """Events in one statement (an executemany for several), every column but ``xid`` and
    ``position`` given; ``xid`` as ``position.stamp`` gives it (a value, or an expression the
    insert evaluates); ``position`` is handed out in the order of ``rows``."""
    if not rows:
        return
    if isinstance(xid, int):
        db.connection().execute(_INSERT_EVENTS, [{**row, "xid": xid} for row in rows])
    else:
        db.connection().execute(_insert_events_with(xid), list(rows))


@functools.cache
def _insert_events_with(xid: ColumnElement[int]) -> Insert:
    """Built once per expression (there is one: PostgreSQL's transaction id)."""
    return insert(_EVENTS).values(xid=xid)
