"""The statements that read care notices (templates) and sessions' notices, and the worker's
claim of the notices that fell due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, insert, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from needleplan.kit.pagination import keyset_page
from needleplan.kit.statuses import NoticeState, SessionStatus
from needleplan.models import CareNotice, SessionNotice, TreatmentSession
from needleplan.notices.rules import HAPPENING, Template


def page_of_templates(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[CareNotice], str | None]:
    return keyset_page(db, select(CareNotice), CareNotice.code, limit=limit, cursor=cursor)


_SESSION_NOTICES: Table = SessionNotice.__table__  # type: ignore[attr-defined]  # SQLModel does not declare it
# Built once and run as Core on the transaction's connection: through the ORM session, its bulk
# insert machinery cost more than the statement.
_INSERT_NOTICES = insert(_SESSION_NOTICES)


def insert_notices(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """New notices in one statement, every column given (a booking schedules five or so: as ORM
    objects, building and flushing them cost more than the rest of the notice step). Nothing
    is flushed first: the caller flushes what it changed."""
    if rows:
        db.connection().execute(_INSERT_NOTICES, list(rows))


def catalogue_is_empty(db: Session) -> bool:
    return db.exec(select(CareNotice.code).limit(1)).first() is None


# Built once; the columns the rules read, as Core rows (no ORM objects to build per booking).
_TEMPLATES = core_select(
    col(CareNotice.code),
    col(CareNotice.kind),
    col(CareNotice.anchor),
    col(CareNotice.offset_minutes),
    col(CareNotice.areas),
    col(CareNotice.device_code),
    col(CareNotice.active),
).order_by(col(CareNotice.code))


def all_templates(db: Session) -> list[Template]:
    """Every template, active or not (a handful: a clinic's reminders and care notices), as the
    rules read it. The caller has flushed the transaction's changes to templates, if any."""
    rows = db.connection().execute(_TEMPLATES)
    return [
        Template(
            code=code,
            kind=kind,
            anchor=anchor,
            offset_minutes=offset_minutes,
            areas=tuple(areas) if areas is not None else None,
            device_code=device_code,
            active=active,
        )
        for code, kind, anchor, offset_minutes, areas, device_code, active in rows
    ]


def templates_by_code(db: Session, codes: Sequence[str]) -> dict[str, CareNotice]:
    rows = db.exec(select(CareNotice).where(col(CareNotice.code).in_(list(codes)))).all()
    return {row.code: row for row in rows}


def notices_of_sessions(
    db: Session, session_ids: Sequence[str], *, for_update: bool = False
) -> list[SessionNotice]:
    """The sessions' notices; ``for_update`` locks them on PostgreSQL, so a change of the sessions
    waits for a worker emitting one of them and then sees it emitted."""
    statement = select(SessionNotice).where(col(SessionNotice.session_id).in_(list(session_ids)))
    if for_update and db.get_bind().dialect.name != "sqlite":
        statement = statement.with_for_update(of=SessionNotice)
    return list(db.exec(statement).all())


def page_of_session_notices(
    db: Session, session_id: str, *, limit: int, cursor: str | None
) -> tuple[list[SessionNotice], str | None]:
    statement = select(SessionNotice).where(SessionNotice.session_id == session_id)
    return keyset_page(
        db, statement, SessionNotice.due_at, SessionNotice.id, limit=limit, cursor=cursor
    )


def _due(now: datetime) -> SelectOfScalar[SessionNotice]:
    """Scheduled notices due by ``now`` of sessions that happen (a cancelled session's notices
    are cancelled with it; the join makes sure none slips through)."""
    return (
        select(SessionNotice)
        .join(TreatmentSession, col(TreatmentSession.id) == col(SessionNotice.session_id))
        .where(
            SessionNotice.state == NoticeState.scheduled,
            col(SessionNotice.due_at) <= now,
            col(TreatmentSession.status).in_(HAPPENING),
        )
    )


def any_due(db: Session, now: datetime) -> bool:
    """A read, so an idle worker takes no write lock (SQLite has one writer)."""
    return db.exec(_due(now).limit(1)).first() is not None


def claim_due(db: Session, now: datetime, limit: int) -> list[SessionNotice]:
    """Up to ``limit`` due notices, oldest due first. PostgreSQL: locked ``FOR UPDATE SKIP
    LOCKED``, so several workers claim disjoint notices and each is emitted by one of them;
    SQLite serialises write transactions, so claims never overlap either."""
    statement = _due(now).order_by(col(SessionNotice.due_at), col(SessionNotice.id)).limit(limit)
    if db.get_bind().dialect.name != "sqlite":
        statement = statement.with_for_update(skip_locked=True, of=SessionNotice)
    return list(db.exec(statement).all())


def booked_sessions_from(
    db: Session, now: datetime, *, after: tuple[datetime, str] | None, limit: int
) -> list[tuple[datetime, str]]:
    """Up to ``limit`` booked sessions starting after ``now`` as ``(starts_at, id)``, in that
    order, those after ``after`` (the last of the previous page)."""
    statement = select(TreatmentSession.starts_at, TreatmentSession.id).where(
        TreatmentSession.status == SessionStatus.booked, col(TreatmentSession.starts_at) > now
    )
    if after is not None:
        starts_at, session_id = after
        statement = statement.where(
            or_(
                col(TreatmentSession.starts_at) > starts_at,
                and_(
                    col(TreatmentSession.starts_at) == starts_at,
                    col(TreatmentSession.id) > session_id,
                ),
            )
        )
    statement = statement.order_by(col(TreatmentSession.starts_at), col(TreatmentSession.id))
    return [(row[0], row[1]) for row in db.exec(statement.limit(limit)).all()]


def sessions_by_id(db: Session, session_ids: Sequence[str]) -> dict[str, TreatmentSession]:
    rows = db.exec(
        select(TreatmentSession).where(col(TreatmentSession.id).in_(list(session_ids)))
    ).all()
    return {row.id: row for row in rows}
