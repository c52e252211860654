"""Which notices a session has and when they fall due (docs/domain.md#care-notices). Pure: the
service hands in the session, the templates and the rows it has, and writes what comes back.

A notice falls due ``offset_minutes`` after its template's anchor (the session's start or end;
negative: before). A due time already past when a session is booked or moved gets no notice,
so nothing is ever announced late. A moved session's pending notices move with it; one already
emitted is scheduled again when its new due time lies ahead (one emission per notice and
session version). A session that no longer happens (cancelled, no-show, entered in error)
cancels its pending notices; one under way (arrived, fulfilled) cancels those due at or before
its start and keeps its aftercare. A reminder or pre-care still unsent when its session starts
(no worker ran) is dropped, not sent late (``moot``).

Only a booking or a move reads the templates (``timing_changed``): a status change applies its
consequences to the notices the session has, at their due times, and creates none, so a
template edited later applies to sessions booked or moved afterwards and a notice already
emitted is never due again unless its session moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from needleplan.kit.statuses import NoticeAnchor, NoticeKind, NoticeState, SessionStatus

# A session in these states happens, or happened: its notices stand.
HAPPENING = (SessionStatus.booked, SessionStatus.arrived, SessionStatus.fulfilled)


@dataclass(frozen=True)
class Template:
    code: str
    kind: NoticeKind
    anchor: NoticeAnchor
    offset_minutes: int
    areas: tuple[str, ...] | None
    device_code: str | None
    active: bool


@dataclass(frozen=True)
class SessionTimes:
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus
    areas: tuple[str, ...]
    device_code: str | None


@dataclass(frozen=True)
class Held:
    """A notice row the session already has."""

    code: str
    kind: NoticeKind
    due_at: datetime
    state: NoticeState


@dataclass(frozen=True)
class Decision:
    """What one notice row of the session must be: created or updated to ``state`` at
    ``due_at`` (``scheduled`` rows are stamped with the session's current version)."""

    code: str
    kind: NoticeKind
    due_at: datetime
    state: NoticeState


def matches(template: Template, session: SessionTimes) -> bool:
    """An active template whose filters the session passes: one of its areas, its device."""
    if not template.active:
        return False
    if template.areas is not None and not set(template.areas) & set(session.areas):
        return False
    return template.device_code is None or template.device_code == session.device_code


def due_at(template: Template, session: SessionTimes) -> datetime:
    anchor = session.starts_at if template.anchor is NoticeAnchor.start else session.ends_at
    return anchor + timedelta(minutes=template.offset_minutes)


def _stands(due: datetime, session: SessionTimes) -> bool:
    """Whether a notice due at ``due`` still has a point given the session's status: none once
    the session no longer happens; once it is under way, only those due after its start (the
    reminders and pre-care are moot, the aftercare stays)."""
    if session.status not in HAPPENING:
        return False
    return session.status is SessionStatus.booked or due > session.starts_at


def _wanted(template: Template, session: SessionTimes) -> datetime | None:
    """The template's due time for this session, or None when the session wants no such notice."""
    if not matches(template, session):
        return None
    due = due_at(template, session)
    return due if _stands(due, session) else None


def moot(due_at: datetime, starts_at: datetime, now: datetime) -> bool:
    """A notice due before its session's start (a reminder, pre-care) that has not gone out by
    the start (no worker ran) is not sent late: "your session is tomorrow" after the session
    helps nobody. One due at the start or later (aftercare) goes out late rather than never."""
    return due_at < starts_at <= now


def reconcile(
    session: SessionTimes,
    templates: Sequence[Template],
    held: Sequence[Held],
    now: datetime,
    *,
    timing_changed: bool,
) -> list[Decision]:
    """The rows to create or change so the session's notices follow its current times and
    status; rows left out stay as they are.

    ``timing_changed``: the session was just booked or moved, so its notices are made to match
    the templates as they are now (created, moved, scheduled again after an emission). Without
    it (a status change) the templates are not read: only the status's consequences apply to
    the pending notices, which keep their due times; nothing is created or scheduled again."""
    if not timing_changed:
        return [
            Decision(row.code, row.kind, row.due_at, _CANCELLED)
            for row in held
            if row.state is _SCHEDULED and not _stands(row.due_at, session)
        ]
    by_code = {row.code: row for row in held}
    decisions: list[Decision] = []
    for template in templates:
        row = by_code.pop(template.code, None)
        due = _wanted(template, session)
        decision = _decide(template, row, due, now)
        if decision is not None:
            decisions.append(decision)
    for row in by_code.values():  # a template that no longer exists
        if row.state is NoticeState.scheduled:
            decisions.append(Decision(row.code, row.kind, row.due_at, _CANCELLED))
    return decisions


_SCHEDULED = NoticeState.scheduled
_CANCELLED = NoticeState.cancelled


def _decide(
    template: Template, row: Held | None, due: datetime | None, now: datetime
) -> Decision | None:
    def to(state: NoticeState, at: datetime) -> Decision:
        return Decision(template.code, template.kind, at, state)

    if row is None:
        return to(_SCHEDULED, due) if due is not None and due > now else None
    if due is None:
        return to(_CANCELLED, row.due_at) if row.state is _SCHEDULED else None
    if row.state is _SCHEDULED:
        if due == row.due_at:
            return to(_SCHEDULED, due)  # unchanged; stamped with the session's new version
        return to(_SCHEDULED if due > now else _CANCELLED, due)
    if due > now and (row.state is _CANCELLED or due != row.due_at):
        return to(_SCHEDULED, due)  # emitted for an earlier time, or cancelled: due again
    return None
