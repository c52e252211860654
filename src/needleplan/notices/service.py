"""Care notices: the templates (admin), and each session's notices kept in step with it.

Sessions never import this package (it sits above them). It follows the sessions' events
instead (``events.outbox.follows``): every transaction that books, moves, changes or cancels a
session emits a ``session`` event, and before it commits ``follow_sessions`` reads what happened
to each session and ``schedule_for_sessions`` makes its notices match (rules.py), in that same
transaction: a booking or a move against the templates as they are now, a status change only
on the notices the session has, any other change (notes, flags) not at all.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import inspect
from sqlmodel import Session

from needleplan.audit.service import record
from needleplan.auth.roles import Role
from needleplan.auth.service import Caller
from needleplan.durations.service import check_area_codes
from needleplan.events.outbox import follows, renders
from needleplan.kit.crud import apply_changes, get_or_404, require_reference
from needleplan.kit.etag import require_if_match
from needleplan.kit.ids import new_id
from needleplan.kit.localtime import in_zone
from needleplan.kit.statuses import NoticeState
from needleplan.kit.time import utc_now
from needleplan.locations.service import zone_of
from needleplan.models import CareNotice, Device, SessionNotice, TreatmentSession
from needleplan.notices import repository, rules
from needleplan.notices.schemas import (
    CareNoticeCreate,
    CareNoticeRead,
    CareNoticeUpdate,
    SessionNoticeRead,
)
from needleplan.problems import AlreadyExists


def notice_read(row: CareNotice) -> CareNoticeRead:
    return CareNoticeRead(
        code=row.code,
        kind=row.kind,
        anchor=row.anchor,
        offset_minutes=row.offset_minutes,
        areas=row.areas,
        device=row.device_code,
        text=row.text,
        active=row.active,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _check_filters(db: Session, changes: dict[str, Any]) -> None:
    """The filters name known treatment areas and a known device (422 naming the field)."""
    if changes.get("areas") is not None:
        check_area_codes(db, changes["areas"])
    if changes.get("device") is not None:
        require_reference(db, Device, changes["device"], field="device", what="device")


def _columns(changes: dict[str, Any]) -> dict[str, Any]:
    if "device" in changes:
        changes["device_code"] = changes.pop("device")
    return changes


def create_template(db: Session, caller: Caller, body: CareNoticeCreate) -> CareNotice:
    if db.get(CareNotice, body.code) is not None:
        raise AlreadyExists(f"A care notice with code {body.code!r} already exists.")
    changes = body.model_dump()
    _check_filters(db, changes)
    row = CareNotice(**_columns(changes))
    db.add(row)
    db.flush()
    record(db, caller, "create", "care_notice", row.code)
    return row


def get_template(db: Session, code: str) -> CareNotice:
    return get_or_404(db, CareNotice, code, what="care notice")


def list_templates(
    db: Session, *, limit: int, cursor: str | None
) -> tuple[list[CareNotice], str | None]:
    return repository.page_of_templates(db, limit=limit, cursor=cursor)


def update_template(
    db: Session, caller: Caller, code: str, body: CareNoticeUpdate, if_match: str | None
) -> CareNotice:
    """A merge patch. Sessions booked or moved from now on use the new times and filters; a
    notice already scheduled keeps its due time, and reads (and is emitted with) the new text.
    Switched off (``active: false``), the template's scheduled notices are not emitted."""
    row = get_or_404(db, CareNotice, code, what="care notice", for_update=True)
    require_if_match(if_match, row.version)
    changes = body.model_dump(exclude_unset=True)
    _check_filters(db, changes)
    apply_changes(row, _columns(changes))
    db.flush()
    record(db, caller, "update", "care_notice", row.code)
    return row


# --- a session's notices -------------------------------------------------------------------


def _times(session: TreatmentSession) -> rules.SessionTimes:
    return rules.SessionTimes(
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        status=session.status,
        areas=tuple(session.areas),
        device_code=session.device_code,
    )


# The session events that give a session its times: its notices follow the templates again.
BOOKED = "session.booked"
TIMING_EVENTS = frozenset({BOOKED, "session.rescheduled"})
# The status changes: their consequences apply to the notices the session has.
STATUS_EVENTS = frozenset(
    {
        "session.arrived",
        "session.fulfilled",
        "session.cancelled",
        "session.noshow",
        "session.entered_in_error",
    }
)
# Every other session event (``session.updated`` of the notes, ``session.interval_accepted``,
# ``session.needs_reschedule``) leaves the notices alone.

# Sessions per flush when the notices of a whole calendar are scheduled (``schedule_upcoming``).
BATCH = 500


def follow_sessions(db: Session, events: list[Any]) -> None:
    """The ``follows`` step: ``events`` are the transaction's ``(session_id, event_type)``
    pairs. A session booked or moved (a hold converted and a course proposal booked emit
    ``session.booked`` too) is reconciled in full; one whose status changed, in its status only;
    one that only had other events, not at all."""
    timing_changed: dict[str, bool] = {}
    for session_id, event_type in events:
        if event_type in TIMING_EVENTS:
            timing_changed[session_id] = True
        elif event_type in STATUS_EVENTS:
            timing_changed.setdefault(session_id, False)
    if timing_changed:
        # ``session.booked`` is the event of a session's creation (events/catalogue.py).
        created = {session_id for session_id, event_type in events if event_type == BOOKED}
        schedule_for_sessions(db, timing_changed, created)


def schedule_for_sessions(
    db: Session, timing_changed: dict[str, bool], created: Collection[str] = ()
) -> None:
    """Make the notices of the given sessions match their current times and status
    (rules.reconcile), each by whether its timing changed (booked or moved: the templates as
    they are now) or only its status. Runs just before the transaction commits
    (``follow_sessions``), and for a calendar's booked sessions when the default notices are
    installed (``schedule_upcoming``). ``created``: sessions inserted in this transaction, whose
    notices (none, unless this transaction added them) are not looked for."""
    db.flush()
    found = _sessions(db, list(timing_changed))
    sessions = [found[i] for i in timing_changed if i in found]
    if not sessions:
        return
    templates: list[rules.Template] = []
    if any(timing_changed[s.id] for s in sessions):
        templates = repository.all_templates(db)
    rows: dict[str, dict[str, SessionNotice]] = {}
    fresh = _without_notices(db, created)
    held_some = [s.id for s in sessions if s.id not in fresh]
    if held_some:
        for row in repository.notices_of_sessions(db, held_some, for_update=True):
            rows.setdefault(row.session_id, {})[row.notice_code] = row
    now = utc_now()
    new_notices: list[dict[str, Any]] = []
    for session in sessions:
        held = rows.get(session.id, {})
        decisions = rules.reconcile(
            _times(session),
            templates,
            [rules.Held(r.notice_code, r.kind, r.due_at, r.state) for r in held.values()],
            now,
            timing_changed=timing_changed[session.id],
        )
        for decision in decisions:
            notice = held.get(decision.code)
            if notice is None:
                _noticed(db).add(session.id)
                new_notices.append(_new_notice(session, decision, now))
            else:
                _update(notice, session, decision, now)
    # The updates first, then the new rows: the order the ORM's autoflush gave them.
    db.flush()
    repository.insert_notices(db, new_notices)


def _sessions(db: Session, session_ids: list[str]) -> dict[str, TreatmentSession]:
    """The sessions by id: those the transaction already holds from its identity map, the
    others read. A select would hand back the very same objects (it does not overwrite a loaded
    object's attributes), and everything changed in the transaction is flushed by now; an
    object with expired attributes is read again, as the select would."""
    found: dict[str, TreatmentSession] = {}
    missing: list[str] = []
    for session_id in session_ids:
        loaded = db.identity_map.get(db.identity_key(TreatmentSession, session_id))
        if isinstance(loaded, TreatmentSession) and not inspect(loaded).expired_attributes:
            found[session_id] = loaded
        else:
            missing.append(session_id)
    if missing:
        found.update(repository.sessions_by_id(db, missing))
    return found


# The sessions this transaction inserted notices for (``_apply``), with the transaction.
_NOTICED = "needleplan.notices.noticed"


def _noticed(db: Session) -> set[str]:
    transaction, sessions = db.info.get(_NOTICED, (None, set()))
    if transaction is not db.get_transaction():
        transaction, sessions = db.get_transaction(), set()
        db.info[_NOTICED] = (transaction, sessions)
    noticed: set[str] = sessions
    return noticed


def _without_notices(db: Session, created: Collection[str]) -> set[str]:
    """Which of ``created`` (sessions inserted in this transaction: their ``session.booked``
    event is in it) have no notices at all: those this transaction inserted none for. Their
    notices need not be looked for."""
    if not created:
        return set()
    return set(created) - _noticed(db)


def schedule_upcoming(db: Session) -> int:
    """Schedule the notices of every booked session starting after now, ``BATCH`` sessions per
    flush, as if each had just been booked; the number of sessions. ``migrate`` runs it when it
    installs the default notices (notices/catalogue.py), so a calendar booked before care
    notices existed keeps its reminders."""
    now = utc_now()
    after: tuple[datetime, str] | None = None
    count = 0
    while True:
        page = repository.booked_sessions_from(db, now, after=after, limit=BATCH)
        if not page:
            return count
        schedule_for_sessions(db, {session_id: True for _, session_id in page})
        count += len(page)
        after = page[-1]


def _new_notice(session: TreatmentSession, decision: rules.Decision, now: Any) -> dict[str, Any]:
    """A notice row the session did not have, as ``repository.insert_notices`` writes it."""
    return {
        "id": new_id(),
        "session_id": session.id,
        "notice_code": decision.code,
        "kind": decision.kind,
        "due_at": decision.due_at,
        "state": decision.state,
        "session_version": session.version,
        "emitted_at": None,
        "created_at": now,
        "updated_at": None,
    }


def _update(
    row: SessionNotice, session: TreatmentSession, decision: rules.Decision, now: Any
) -> None:
    changed = (row.due_at, row.state, row.kind) != (decision.due_at, decision.state, decision.kind)
    rescheduled = decision.state is NoticeState.scheduled
    if not changed and (not rescheduled or row.session_version == session.version):
        return
    row.due_at, row.state, row.kind = decision.due_at, decision.state, decision.kind
    if rescheduled:
        row.session_version = session.version
        row.emitted_at = None
    row.updated_at = now


def session_notices(
    db: Session, session_id: str, *, limit: int, cursor: str | None
) -> tuple[list[SessionNoticeRead], str | None]:
    """A session's notices by due time, each in the session's location's offset."""
    session = get_or_404(db, TreatmentSession, session_id, what="session")
    rows, next_cursor = repository.page_of_session_notices(
        db, session_id, limit=limit, cursor=cursor
    )
    zone = zone_of(db, session.location_id)
    texts = repository.templates_by_code(db, sorted({r.notice_code for r in rows})) if rows else {}
    return [_notice_read(r, zone, texts) for r in rows], next_cursor


def _notice_read(
    row: SessionNotice, zone: ZoneInfo, texts: dict[str, CareNotice]
) -> SessionNoticeRead:
    template = texts.get(row.notice_code)
    return SessionNoticeRead(
        code=row.notice_code,
        kind=row.kind,
        due_at=in_zone(row.due_at, zone),
        state=row.state,
        text=template.text if template is not None else "",
        session_version=row.session_version,
        emitted_at=row.emitted_at,
    )


def due_payload(
    notice: SessionNotice, template: CareNotice, session: TreatmentSession, zone: ZoneInfo
) -> dict[str, Any]:
    """``session.notice_due``'s data: what is due, for whom (ids only, never names)."""
    return {
        "code": notice.notice_code,
        "kind": str(notice.kind),
        "text": template.text,
        "due_at": in_zone(notice.due_at, zone).isoformat(),
        "session_id": session.id,
        "client_id": session.client_id,
        "session_version": notice.session_version,
    }


def _render(db: Session, code: str, role: Role) -> BaseModel | None:
    row = db.get(CareNotice, code)
    return None if row is None else notice_read(row)


def _same(read: BaseModel) -> BaseModel:
    return read


renders("care_notice", _render, narrowed=_same)
follows("session", follow_sessions)
