"""What the status columns hold: a session's status (FHIR appointment status codes) and a plan's.
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


__all__ = ["PlanStatus", "SessionStatus"]
