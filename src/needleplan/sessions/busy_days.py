"""The busy-day summary (``models.BusyDay``): written with every session block, read by searches.

Every write to session blocks goes through ``sessions/repository.py``, which calls ``record``
in the same transaction, so the summary can never disagree with the blocks it summarises.

``record`` only queues a change for ``write_pending``, which the transaction's owner runs just
before it commits (``db.queue_for_commit`` and ``db.commit``; ``Database.transaction`` commits
that way for the request transaction, idempotent requests, the CLI and tests alike). The queue is
written then, all rows in (resource, day) order. So two transactions never wait on each
other's summary rows in a cycle (a course booking's sessions would otherwise lock rows session
by session), and a row is locked only for the moment of the commit. Each update is one SQL
expression on the stored row, not a read-modify-write: on PostgreSQL two bookings of one
provider on one day queue on the row lock and each applies its own span to the other's
result. Nothing reads the summary after writing blocks in the same transaction, and
``busy_minutes`` refuses to (it would read minutes the queue has not yet written).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Date, TextualSelect, bindparam, text
from sqlmodel import Session, col, delete, select

from needleplan.db import queue_for_commit, queued
from needleplan.models import BusyBlock, BusyDay
from needleplan.scheduling.minutes import (
    MINUTES_PER_DAY,
    MinuteLine,
    day_spans,
    day_text,
    mask_of_days,
)

Span = tuple[str, datetime, datetime]  # resource id, start, end

_SET_SPAN = text(
    "INSERT INTO busy_days (resource_id, day, minutes) VALUES (:resource_id, :day, :fresh) "
    "ON CONFLICT (resource_id, day) DO UPDATE SET minutes = "
    "substr(busy_days.minutes, 1, CAST(:first AS INTEGER)) || :span "
    "|| substr(busy_days.minutes, CAST(:after AS INTEGER))"
).bindparams(bindparam("day", type_=Date()))


def record(db: Session, *, freed: Iterable[Span] = (), taken: Iterable[Span] = ()) -> None:
    """Free the minutes of deleted session blocks and mark those of inserted ones, when the
    transaction commits.

    Blocks of one resource never overlap, so freeing a block's minutes frees nobody else's.
    Changes to one row are applied in the order they were recorded: a session moved by a few
    minutes gives up its old minutes, then takes the new ones, some of them the same.
    """
    queue_for_commit(db, write_pending, [(False, span) for span in freed])
    queue_for_commit(db, write_pending, [(True, span) for span in taken])


def has_pending(db: Session) -> bool:
    """Whether this transaction changed session blocks whose minutes are not written yet."""
    return bool(queued(db, write_pending))


def write_pending(db: Session, pending: list[tuple[bool, Span]]) -> None:
    """Write the queued changes, all rows in (resource, day) order: the transaction's last
    statements, run by ``db.commit`` (see the module's docstring)."""
    if not pending:
        return
    changes = [
        (resource_id, day_span, busy)
        for busy, (resource_id, start, end) in pending
        for day_span in day_spans(start, end)
    ]
    changes.sort(key=lambda change: (change[0], change[1].day))  # stable: keeps each row's order
    db.execute(
        _SET_SPAN,
        [
            {
                "resource_id": resource_id,
                "day": day_span.day,
                "fresh": day_text(day_span) if busy else "0" * MINUTES_PER_DAY,
                "first": day_span.first,
                "span": ("1" if busy else "0") * (day_span.end - day_span.first),
                "after": day_span.end + 1,
            }
            for resource_id, day_span, busy in changes
        ],
    )


# Built once: a course proposal runs this for every window, and building the statement cost
# as much as running it.
_BUSY_DAYS = select(col(BusyDay.resource_id), col(BusyDay.day), col(BusyDay.minutes)).where(
    col(BusyDay.resource_id).in_(bindparam("resource_ids", expanding=True)),
    col(BusyDay.day) >= bindparam("first_day"),
    col(BusyDay.day) <= bindparam("last_day"),
)


def _refuse_if_pending(db: Session) -> None:
    """Reads of the summary are refused in a transaction that has changed session blocks:
    their minutes reach the summary only at commit, so the answer would be stale."""
    if has_pending(db):
        raise AssertionError(
            "busy_days read in a transaction with unwritten session-block changes "
            "(they are written at commit; read the summary before changing blocks)"
        )


def busy_minutes(db: Session, line: MinuteLine, resource_ids: Sequence[str]) -> dict[str, int]:
    """Each resource's session-busy minutes on ``line`` (whole UTC days).

    Refused in a transaction that has changed session blocks (``_refuse_if_pending``)."""
    _refuse_if_pending(db)
    first_day = line.origin.date()
    days = [first_day + timedelta(days=n) for n in range(line.length // MINUTES_PER_DAY)]
    # The driver's own rows, unprocessed: SQLite hands the day back as ISO text and PostgreSQL
    # as a date, so the position of a day is looked up under both spellings.
    position: dict[date | str, int] = {
        **{day: n for n, day in enumerate(days)},
        **{d.isoformat(): n for n, d in enumerate(days)},
    }
    empty = "0" * MINUTES_PER_DAY
    texts: dict[str, list[str]] = {}
    parameters = {"resource_ids": list(resource_ids), "first_day": days[0], "last_day": days[-1]}
    rows = db.connection().execute(_BUSY_DAYS, parameters).cursor.fetchall()
    for resource_id, day, minutes in rows:
        if resource_id not in texts:
            texts[resource_id] = [empty] * len(days)
        texts[resource_id][position[day]] = minutes
    return {resource_id: mask_of_days(ordered) for resource_id, ordered in texts.items()}


# One index probe per resource (the primary key, backwards from the range's end) rather than an
# aggregate over every row of the range: for a clinic booked for months ahead that is thousands
# of index entries, several milliseconds. The ids come as one JSON array, so the statement's text
# is the same whatever their number; only the function that unpacks it differs by database.
_LAST_BUSY_DAY_SQL = (
    "SELECT max((SELECT busy_days.day FROM busy_days "
    "WHERE busy_days.resource_id = searched.value "
    "AND busy_days.day >= :first_day AND busy_days.day <= :last_day "
    "ORDER BY busy_days.day DESC LIMIT 1)) AS last_day FROM {ids}"
)


def _last_busy_day_statement(ids: str) -> TextualSelect:
    return (
        text(_LAST_BUSY_DAY_SQL.format(ids=ids))
        .bindparams(bindparam("first_day", type_=Date()), bindparam("last_day", type_=Date()))
        .columns(last_day=Date())
    )


_LAST_BUSY_DAY = {
    "postgresql": _last_busy_day_statement(
        "json_array_elements_text(CAST(:resource_ids AS json)) AS searched(value)"
    ),
    "sqlite": _last_busy_day_statement("json_each(:resource_ids) AS searched"),
}


def last_busy_day(
    db: Session, resource_ids: Sequence[str], first_day: date, last_day: date
) -> date | None:
    """The last UTC day in ``first_day..last_day`` on which any of the resources has
    session-busy minutes; None when none has any.

    Refused in a transaction that has changed session blocks (``_refuse_if_pending``)."""
    _refuse_if_pending(db)
    if not resource_ids:
        return None
    statement = _LAST_BUSY_DAY[db.get_bind().dialect.name]
    parameters = {
        "resource_ids": json.dumps(list(resource_ids)),
        "first_day": first_day,
        "last_day": last_day,
    }
    found: date | None = db.connection().execute(statement, parameters).scalar_one()
    return found


def rebuild(db: Session) -> int:
    """Recompute the whole summary from the session blocks; the number of rows written.

    Never needed in operation (every block write keeps the summary in step); it is the repair
    after someone edits ``busy_blocks`` by hand or restores it from elsewhere."""
    if db.get_bind().dialect.name == "postgresql":
        # Bookings queue behind the rebuild (reads go on); without the lock the bulk delete
        # would take row locks in another order than bookings do, and could deadlock with one.
        db.execute(text("LOCK TABLE busy_days IN EXCLUSIVE MODE"))
    db.execute(delete(BusyDay))
    blocks = db.execute(
        select(col(BusyBlock.resource_id), col(BusyBlock.starts_at), col(BusyBlock.ends_at)).where(
            col(BusyBlock.expires_at).is_(None)
        )
    ).all()
    record(db, taken=[(row[0], row[1], row[2]) for row in blocks])
    return len({(row[0], span.day) for row in blocks for span in day_spans(row[1], row[2])})
