"""What the status columns hold: a session's status (FHIR appointment status codes), a plan's,
and the small closed vocabularies of comfort and care notices.
Here, below the tables and the rules, so that both can name them (docs/architecture.md#layers);
sessions/lifecycle.py and plans/schemas.py re-export them. Pure."""

from __future__ import annotations

from enum import StrEnum


class SessionStatus(StrEnum):
    booked = "booked"
    arrived = "arrived"
    fulfilled = "fulfilled"
    cancelled = "cancelled"
    noshow = "noshow"
    entered_in_error = "entered-in-error"


class PlanStatus(StrEnum):
    draft = "draft"
    active = "active"
    completed = "completed"
    cancelled = "cancelled"


class NumbingPreference(StrEnum):
    """A client's standing answer to "numbing cream?" (docs/domain.md#comfort)."""

    always = "always"
    never = "never"
    ask = "ask"


class NumbingSource(StrEnum):
    """Where a session's numbing came from: the request's ``numbing``; when the request left it
    out, the treatment plan's (a plan's booking) or else the client's preference."""

    request = "request"
    plan = "plan"
    client_preference = "client_preference"


class NoticeKind(StrEnum):
    reminder = "reminder"
    pre_care = "pre_care"
    aftercare = "aftercare"


class NoticeAnchor(StrEnum):
    start = "start"
    end = "end"


class NoticeState(StrEnum):
    scheduled = "scheduled"
    emitted = "emitted"
    cancelled = "cancelled"


__all__ = [
    "NoticeAnchor",
    "NoticeKind",
    "NoticeState",
    "NumbingPreference",
    "NumbingSource",
    "PlanStatus",
    "SessionStatus",
]
