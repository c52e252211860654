"""The busy-day summary (``models.BusyDay``): written with every session block, read by searches.

Every write to session blocks goes through ``sessions/repository.py``, which calls ``record``
in the same transaction, so the summary can never disagree with the blocks it summarises.
The update is one SQL expression on the stored row, not a read-modify-write: on PostgreSQL
two bookings of one provider on one day queue on the row lock and each applies its own span
to the other's result. The rows are touched in (resource, day) order, so two transactions
never wait on each other's summary rows in a cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Date, bindparam, text
from sqlmodel import Session, col, delete, select

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
    """Free the minutes of deleted session blocks and mark those of inserted ones.

    Blocks of one resource never overlap, so freeing a block's minutes frees nobody else's.
    Frees go before marks on the same row: a session moved by a few minutes gives up its old
    minutes and takes the new ones, some of them the same.
    """
    changes = sorted(
        (resource_id, day_span.day, busy, day_span)
        for busy, spans in ((False, freed), (True, taken))
        for resource_id, start, end in spans
        for day_span in day_spans(start, end)
    )
    if changes:
        db.execute(
            _SET_SPAN,
            [
                {
                    "resource_id": resource_id,
                    "day": day,
                    "fresh": day_text(day_span) if busy else "0" * MINUTES_PER_DAY,
                    "first": day_span.first,
                    "span": ("1" if busy else "0") * (day_span.end - day_span.first),
                    "after": day_span.end + 1,
                }
                for resource_id, day, busy, day_span in changes
            ],
        )


# Built once: a course proposal runs this for every window, and building the statement cost
# as much as running it.
_BUSY_DAYS = select(col(BusyDay.resource_id), col(BusyDay.day), col(BusyDay.minutes)).where(
    col(BusyDay.resource_id).in_(bindparam("resource_ids", expanding=True)),
    col(BusyDay.day) >= bindparam("first_day"),
    col(BusyDay.day) <= bindparam("last_day"),
)


def busy_minutes(db: Session, line: MinuteLine, resource_ids: Sequence[str]) -> dict[str, int]:
    """Each resource's session-busy minutes on ``line`` (whole UTC days)."""
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


def rebuild(db: Session) -> int:
    """Recompute the whole summary from the session blocks; the number of rows written.

    Never needed in operation (every block write keeps the summary in step); it is the repair
    after someone edits ``busy_blocks`` by hand or restores it from elsewhere."""
    db.execute(delete(BusyDay))
    blocks = db.execute(
        select(col(BusyBlock.resource_id), col(BusyBlock.starts_at), col(BusyBlock.ends_at)).where(
            col(BusyBlock.expires_at).is_(None)
        )
    ).all()
    record(db, taken=[(row[0], row[1], row[2]) for row in blocks])
    return len({(row[0], span.day) for row in blocks for span in day_spans(row[1], row[2])})
