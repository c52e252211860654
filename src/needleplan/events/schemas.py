from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from needleplan.kit.models import ResponseModel


class EventSubject(ResponseModel):
    kind: str = Field(examples=["session"], description="The kind of resource that changed.")
    id: str = Field(description="Its id (a code for catalogue entries).")


class EventRead(ResponseModel):
    id: str = Field(description="The event's id, unique and stable.")
    type: str = Field(examples=["session.rescheduled"])
    occurred_at: datetime
    subject: EventSubject
    data: dict[str, Any] = Field(
        description="The subject as its GET returned it just after the change, for the reading "
        'key\'s role (`{"id"}` only once deleted).'
    )


class EventPage(ResponseModel):
    items: list[EventRead]
    next_cursor: str = Field(
        description="Always present: send it as `after` to read what happened since, also "
        "after an empty page."
    )
