"""The session state machine (FHIR appointment status codes). Pure."""

from __future__ import annotations

from enum import StrEnum


class SessionStatus(StrEnum):
    booked = "booked"
    arrived = "arrived"
    fulfilled = "fulfilled"
    cancelled = "cancelled"
    noshow = "noshow"
    entered_in_error = "entered-in-error"


class Action(StrEnum):
    arrive = "arrive"
    complete = "complete"
    cancel = "cancel"
    no_show = "no-show"
    entered_in_error = "entered-in-error"
    reschedule = "reschedule"


LIVE = frozenset({SessionStatus.booked, SessionStatus.arrived})

TRANSITIONS: dict[Action, tuple[frozenset[SessionStatus], SessionStatus]] = {
    Action.arrive: (frozenset({SessionStatus.booked}), SessionStatus.arrived),
    Action.complete: (frozenset({SessionStatus.arrived}), SessionStatus.fulfilled),
    # An arrived client is being treated: complete the session, or mark it entered-in-error.
    Action.cancel: (frozenset({SessionStatus.booked}), SessionStatus.cancelled),
    Action.no_show: (frozenset({SessionStatus.booked}), SessionStatus.noshow),
    Action.entered_in_error: (LIVE, SessionStatus.entered_in_error),
    Action.reschedule: (frozenset({SessionStatus.booked}), SessionStatus.booked),
}


def next_status(current: SessionStatus, action: Action) -> SessionStatus | None:
    """The status after ``action``, or None when the action is not allowed from ``current``."""
    allowed_from, target = TRANSITIONS[action]
    return target if current in allowed_from else None


def holds_time(status: SessionStatus) -> bool:
    """Only live sessions keep their provider, room and client busy."""
    return status in LIVE
