"""The feed position and its visibility rule: the one module that knows how events are ordered.

An event's position is ``(xid, position)``. ``position`` is an autoincrement; ``xid`` is the
writing transaction's id on PostgreSQL and 0 on SQLite.

- **SQLite** serialises write transactions (``BEGIN IMMEDIATE``), so positions are handed out in
  commit order: every committed event is visible, in position order.
- **PostgreSQL** hands out sequence values and transaction ids before commit, so a later
  position may become visible before an earlier one. The feed serves only events whose ``xid``
  is below the reading statement's snapshot ``xmin``: every transaction below it has ended
  (committed or rolled back), and every transaction still running, or yet to start, has an
  ``xid`` at or above it. So nothing can appear later behind a cursor that has moved past it.
  A transaction also sees the events it wrote itself (only a test's single rolled-back
  transaction reads the feed after writing; a request reading the feed writes nothing).

A per-clinic scheme (a counter row per clinic, taken in the writing transaction) would replace
``stamp`` and ``visible`` here without touching the callers.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Text, cast, func, literal, or_, tuple_
from sqlmodel import Session, col, delete, select

from needleplan.models import Event

Position = tuple[int, int]
START: Position = (0, 0)


def _on_sqlite(db: Session) -> bool:
    return db.get_bind().dialect.name == "sqlite"


def stamp(db: Session) -> int | ColumnElement[int]:
    """The ``xid`` of the events the current transaction writes, as their insert gives it: 0 on
    SQLite; on PostgreSQL the transaction's id, an SQL expression the insert evaluates itself
    (the same value a statement of its own would read, one round trip fewer)."""
    if _on_sqlite(db):
        return 0
    return _CURRENT_XID


def _bigint(xid8: Any) -> Any:
    return cast(cast(xid8, Text()), BigInteger)


_CURRENT_XID: ColumnElement[int] = _bigint(func.pg_current_xact_id())


def page(
    db: Session,
    after: Position,
    *,
    types: Collection[str],
    prefixes: Collection[str],
    hidden_kinds: Collection[str],
    limit: int,
) -> list[Event]:
    """The next ``limit`` visible events after ``after``, in feed order."""
    statement = select(Event).where(
        tuple_(col(Event.xid), col(Event.position)) > tuple_(literal(after[0]), literal(after[1]))
    )
    if not _on_sqlite(db):
        xmin = select(_bigint(func.pg_snapshot_xmin(func.pg_current_snapshot()))).scalar_subquery()
        own = select(_bigint(func.pg_current_xact_id_if_assigned())).scalar_subquery()
        statement = statement.where(or_(col(Event.xid) < xmin, col(Event.xid) == own))
    if types or prefixes:
        statement = statement.where(
            or_(
                col(Event.type).in_(list(types)),
                *(col(Event.type).startswith(prefix) for prefix in prefixes),
            )
        )
    if hidden_kinds:
        statement = statement.where(col(Event.subject_kind).not_in(list(hidden_kinds)))
    statement = statement.order_by(col(Event.xid), col(Event.position)).limit(limit)
    return list(db.exec(statement).all())


def of(event: Event) -> Position:
    assert event.position is not None
    return (event.xid, event.position)


def prune(db: Session, before: datetime) -> int:
    """Delete the events that occurred before ``before``."""
    result = db.exec(delete(Event).where(col(Event.occurred_at) < before))
    return result.rowcount
