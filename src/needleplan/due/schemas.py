from __future__ import annotations

from datetime import date

from pydantic import Field

from needleplan.due.rules import DueReason
from needleplan.kit.models import ResponseModel
from needleplan.plans.schemas import WindowRead


class DueItem(ResponseModel):
    reason: DueReason = Field(
        description="next_session: the next window opens and nothing is booked; needs_reschedule: "
        "booked sessions fell out of their window; maintenance: months after the course ended."
    )
    due_date: date
    client_id: str
    plan_id: str
    window: WindowRead | None = Field(
        default=None,
        description="next_session: the window the next session belongs in; needs_reschedule: the "
        "window the first session of `session_ids` should move into (its `reschedule_window`).",
    )
    session_ids: list[str] = Field(default_factory=list)


class DuePage(ResponseModel):
    items: list[DueItem]
    next_cursor: str | None
